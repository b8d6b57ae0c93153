/** The finalizer that keeps an object until its LiteLLM counterpart is dealt with. */
export const finalizer = "auth.litellm.ai/finalizer"
