{{- define "litellm-operator.name" -}}litellm-operator{{- end -}}

{{- define "litellm-operator.fullname" -}}
{{- if contains "litellm-operator" .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-litellm-operator" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "litellm-operator.labels" -}}
app.kubernetes.io/name: litellm-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "litellm-operator.selectorLabels" -}}
app.kubernetes.io/name: litellm-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
