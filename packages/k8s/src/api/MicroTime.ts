/** metav1.MicroTime: RFC 3339 with exactly six fractional digits; the API server refuses other precisions. */
import { V1MicroTime } from "@kubernetes/client-node"

export const microTime = (epochMillis: number): string => new V1MicroTime(epochMillis).toISOString()
