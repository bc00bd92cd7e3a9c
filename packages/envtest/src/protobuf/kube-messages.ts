// The protobuf messages of the kinds envtest reads in protobuf, written here as field tables
// (name, number, type) from the Kubernetes API's wire format. Notation, one field per token:
//   name=N            optional string        name*=N           repeated string
//   name:T=N          optional field of type T (int32, int64, bool, bytes or a message)
//   name*:T=N         repeated field of type T
//   name{}=N          map<string, string>    name{T}=N         map<string, T>
//   ...name:T=N       a Go struct embedded inline: its fields appear in the parent's JSON
// Fields a client does not send when creating objects (status) are left out; protobufjs skips
// unknown fields.

/** Message tables by message name. */
export const MESSAGES: Readonly<Record<string, string>> = {
  // k8s.io/apimachinery
  Time: 'seconds:int64=1 nanos:int32=2',
  IntOrString: 'type:int64=1 intVal:int32=2 strVal=3',
  Quantity: 'string=1',
  OwnerReference: 'kind=1 name=3 uid=4 apiVersion=5 controller:bool=6 blockOwnerDeletion:bool=7',
  ObjectMeta:
    'name=1 generateName=2 namespace=3 uid=5 resourceVersion=6 generation:int64=7 creationTimestamp:Time=8 ' +
    'deletionTimestamp:Time=9 deletionGracePeriodSeconds:int64=10 labels{}=11 annotations{}=12 ' +
    'ownerReferences*:OwnerReference=13 finalizers*=14',
  LabelSelectorRequirement: 'key=1 operator=2 values*=3',
  LabelSelector: 'matchLabels{}=1 matchExpressions*:LabelSelectorRequirement=2',
  // core/v1
  LocalObjectReference: 'name=1',
  ObjectReference: 'kind=1 namespace=2 name=3 uid=4 apiVersion=5 resourceVersion=6 fieldPath=7',
  Namespace: 'metadata:ObjectMeta=1 spec:NamespaceSpec=2',
  NamespaceSpec: 'finalizers*=1',
  ConfigMap: 'metadata:ObjectMeta=1 data{}=2 binaryData{bytes}=3 immutable:bool=4',
  Secret: 'metadata:ObjectMeta=1 data{bytes}=2 type=3 stringData{}=4 immutable:bool=5',
  ServiceAccount:
    'metadata:ObjectMeta=1 secrets*:ObjectReference=2 imagePullSecrets*:LocalObjectReference=3 ' +
    'automountServiceAccountToken:bool=4',
  Service: 'metadata:ObjectMeta=1 spec:ServiceSpec=2',
  ServiceSpec:
    'ports*:ServicePort=1 selector{}=2 clusterIP=3 type=4 externalIPs*=5 sessionAffinity=7 loadBalancerIP=8 ' +
    'loadBalancerSourceRanges*=9 externalName=10 externalTrafficPolicy=11 healthCheckNodePort:int32=12 ' +
    'publishNotReadyAddresses:bool=13 ipFamilyPolicy=17 clusterIPs*=18 ipFamilies*=19 ' +
    'allocateLoadBalancerNodePorts:bool=20 loadBalancerClass=21 internalTrafficPolicy=22',
  ServicePort: 'name=1 protocol=2 port:int32=3 targetPort:IntOrString=4 nodePort:int32=5 appProtocol=6',
  Pod: 'metadata:ObjectMeta=1 spec:PodSpec=2',
  PodTemplateSpec: 'metadata:ObjectMeta=1 spec:PodSpec=2',
  PodSpec:
    'volumes*:Volume=1 containers*:Container=2 restartPolicy=3 terminationGracePeriodSeconds:int64=4 ' +
    'activeDeadlineSeconds:int64=5 dnsPolicy=6 nodeSelector{}=7 serviceAccountName=8 serviceAccount=9 ' +
    'nodeName=10 hostNetwork:bool=11 imagePullSecrets*:LocalObjectReference=15 hostname=16 subdomain=17 ' +
    'schedulerName=19 initContainers*:Container=20 automountServiceAccountToken:bool=21 priorityClassName=24 ' +
    'enableServiceLinks:bool=30',
  Container:
    'name=1 image=2 command*=3 args*=4 workingDir=5 ports*:ContainerPort=6 env*:EnvVar=7 ' +
    'resources:ResourceRequirements=8 volumeMounts*:VolumeMount=9 terminationMessagePath=13 imagePullPolicy=14 ' +
    'stdin:bool=16 stdinOnce:bool=17 tty:bool=18 envFrom*:EnvFromSource=19 terminationMessagePolicy=20',
  ContainerPort: 'name=1 hostPort:int32=2 containerPort:int32=3 protocol=4 hostIP=5',
  EnvVar: 'name=1 value=2 valueFrom:EnvVarSource=3',
  EnvVarSource:
    'fieldRef:ObjectFieldSelector=1 configMapKeyRef:ConfigMapKeySelector=3 secretKeyRef:SecretKeySelector=4',
  ObjectFieldSelector: 'apiVersion=1 fieldPath=2',
  ConfigMapKeySelector: '...localObjectReference:LocalObjectReference=1 key=2 optional:bool=3',
  SecretKeySelector: '...localObjectReference:LocalObjectReference=1 key=2 optional:bool=3',
  EnvFromSource: 'prefix=1 configMapRef:ConfigMapEnvSource=2 secretRef:SecretEnvSource=3',
  ConfigMapEnvSource: '...localObjectReference:LocalObjectReference=1 optional:bool=2',
  SecretEnvSource: '...localObjectReference:LocalObjectReference=1 optional:bool=2',
  ResourceRequirements: 'limits{Quantity}=1 requests{Quantity}=2',
  VolumeMount: 'name=1 readOnly:bool=2 mountPath=3 subPath=4',
  Volume: 'name=1 ...volumeSource:VolumeSource=2',
  VolumeSource:
    'secret:SecretVolumeSource=6 configMap:ConfigMapVolumeSource=19 emptyDir:EmptyDirVolumeSource=2',
  EmptyDirVolumeSource: 'medium=1',
  SecretVolumeSource: 'secretName=1 items*:KeyToPath=2 defaultMode:int32=3 optional:bool=4',
  ConfigMapVolumeSource:
    '...localObjectReference:LocalObjectReference=1 items*:KeyToPath=2 defaultMode:int32=3 optional:bool=4',
  KeyToPath: 'key=1 path=2 mode:int32=3',
  ResourceQuota: 'metadata:ObjectMeta=1 spec:ResourceQuotaSpec=2',
  ResourceQuotaSpec: 'hard{Quantity}=1 scopes*=2',
  // apps/v1
  Deployment: 'metadata:ObjectMeta=1 spec:DeploymentSpec=2',
  DeploymentSpec:
    'replicas:int32=1 selector:LabelSelector=2 template:PodTemplateSpec=3 strategy:DeploymentStrategy=4 ' +
    'minReadySeconds:int32=5 revisionHistoryLimit:int32=6 paused:bool=7 progressDeadlineSeconds:int32=9',
  DeploymentStrategy: 'type=1 rollingUpdate:RollingUpdateDeployment=2',
  RollingUpdateDeployment: 'maxUnavailable:IntOrString=1 maxSurge:IntOrString=2',
  // batch/v1
  Job: 'metadata:ObjectMeta=1 spec:JobSpec=2',
  JobSpec:
    'parallelism:int32=1 completions:int32=2 activeDeadlineSeconds:int64=3 selector:LabelSelector=4 ' +
    'manualSelector:bool=5 template:PodTemplateSpec=6 backoffLimit:int32=7 ttlSecondsAfterFinished:int32=8 ' +
    'completionMode=9 suspend:bool=10',
  CronJob: 'metadata:ObjectMeta=1 spec:CronJobSpec=2',
  CronJobSpec:
    'schedule=1 startingDeadlineSeconds:int64=2 concurrencyPolicy=3 suspend:bool=4 jobTemplate:JobTemplateSpec=5 ' +
    'successfulJobsHistoryLimit:int32=6 failedJobsHistoryLimit:int32=7 timeZone=8',
  JobTemplateSpec: 'metadata:ObjectMeta=1 spec:JobSpec=2',
  // rbac.authorization.k8s.io/v1
  PolicyRule: 'verbs*=1 apiGroups*=2 resources*=3 resourceNames*=4 nonResourceURLs*=5',
  Role: 'metadata:ObjectMeta=1 rules*:PolicyRule=2',
  ClusterRole: 'metadata:ObjectMeta=1 rules*:PolicyRule=2',
  Subject: 'kind=1 apiGroup=2 name=3 namespace=4',
  RoleRef: 'apiGroup=1 kind=2 name=3',
  RoleBinding: 'metadata:ObjectMeta=1 subjects*:Subject=2 roleRef:RoleRef=3',
  ClusterRoleBinding: 'metadata:ObjectMeta=1 subjects*:Subject=2 roleRef:RoleRef=3',
  // policy/v1
  PodDisruptionBudget: 'metadata:ObjectMeta=1 spec:PodDisruptionBudgetSpec=2',
  PodDisruptionBudgetSpec:
    'minAvailable:IntOrString=1 selector:LabelSelector=2 maxUnavailable:IntOrString=3 unhealthyPodEvictionPolicy=4',
  // networking.k8s.io/v1
  Ingress: 'metadata:ObjectMeta=1 spec:IngressSpec=2',
  IngressSpec: 'defaultBackend:IngressBackend=1 tls*:IngressTLS=2 rules*:IngressRule=3 ingressClassName=4',
  IngressBackend: 'service:IngressServiceBackend=4',
  IngressServiceBackend: 'name=1 port:ServiceBackendPort=2',
  ServiceBackendPort: 'name=1 number:int32=2',
  IngressTLS: 'hosts*=1 secretName=2',
  IngressRule: 'host=1 ...ingressRuleValue:IngressRuleValue=2',
  IngressRuleValue: 'http:HTTPIngressRuleValue=1',
  HTTPIngressRuleValue: 'paths*:HTTPIngressPath=1',
  HTTPIngressPath: 'path=1 backend:IngressBackend=2 pathType=3',
  // authorization.k8s.io/v1, authentication.k8s.io/v1
  SelfSubjectAccessReview: 'metadata:ObjectMeta=1 spec:SelfSubjectAccessReviewSpec=2',
  SelfSubjectAccessReviewSpec:
    'resourceAttributes:ResourceAttributes=1 nonResourceAttributes:NonResourceAttributes=2',
  ResourceAttributes: 'namespace=1 verb=2 group=3 version=4 resource=5 subresource=6 name=7',
  NonResourceAttributes: 'path=1 verb=2',
  TokenRequest: 'metadata:ObjectMeta=1 spec:TokenRequestSpec=2',
  TokenRequestSpec: 'audiences*=1 boundObjectRef:BoundObjectReference=3 expirationSeconds:int64=4',
  BoundObjectReference: 'kind=1 apiVersion=2 name=3 uid=4',
  // coordination.k8s.io/v1
  Lease: 'metadata:ObjectMeta=1 spec:LeaseSpec=2',
  LeaseSpec:
    'holderIdentity=1 leaseDurationSeconds:int32=2 acquireTime:Time=3 renewTime:Time=4 leaseTransitions:int32=5 ' +
    'strategy=6 preferredHolder=7',
};

/** The message of each kind envtest reads in protobuf, by `apiVersion/Kind`. */
export const KIND_MESSAGES: Readonly<Record<string, string>> = {
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Service': 'Service',
  'v1/Pod': 'Pod',
  'v1/ResourceQuota': 'ResourceQuota',
  'apps/v1/Deployment': 'Deployment',
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'ClusterRoleBinding',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
  'networking.k8s.io/v1/Ingress': 'Ingress',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authentication.k8s.io/v1/TokenRequest': 'TokenRequest',
  'coordination.k8s.io/v1/Lease': 'Lease',
};
