// Package k8s_test keeps the Kubernetes manifests of deploy/k8s valid
// without a cluster: every document is decoded (sigs.k8s.io/yaml, then
// k8s.io/apimachinery's unstructured objects), the built-in kinds strictly
// into their k8s.io/api types (an unknown or misspelt field, or a value of
// the wrong type, fails), the operators' kinds (KEDA, RabbitMQ, MariaDB)
// against the fields illhub relies on, and the whole against the programs:
// every ILL_* name is a setting of config.Config, the ConfigMap's values
// load, probes and ports agree with the configured listen addresses, the
// KEDA trigger watches the queue the consumers read, disruption budgets
// select the pods they protect, and each kustomization lists every file
// of its directory.
package k8s_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/rabbitmq"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// knownKinds maps each kind the manifests may contain to its apiVersion.
// Kinds of the same name in two API groups (User) are keyed by group.
var knownKinds = map[string]string{
	"Namespace":             "v1",
	"Service":               "v1",
	"Secret":                "v1",
	"ConfigMap":             "v1",
	"Deployment":            "apps/v1",
	"Job":                   "batch/v1",
	"PodDisruptionBudget":   "policy/v1",
	"Ingress":               "networking.k8s.io/v1",
	"ScaledObject":          "keda.sh/v1alpha1",
	"TriggerAuthentication": "keda.sh/v1alpha1",
	"PodMonitor":            "monitoring.coreos.com/v1",
	"RabbitmqCluster":       "rabbitmq.com/v1beta1",
	"rabbitmq.com/User":     "rabbitmq.com/v1beta1",
	"Permission":            "rabbitmq.com/v1beta1",
	"MariaDB":               "k8s.mariadb.com/v1alpha1",
	"k8s.mariadb.com/User":  "k8s.mariadb.com/v1alpha1",
	"Grant":                 "k8s.mariadb.com/v1alpha1",
}

// doc is one YAML document of a manifest file.
type doc struct {
	file string // relative to deploy/k8s
	raw  []byte
	obj  *unstructured.Unstructured
}

func (d doc) String() string { return d.file + ": " + d.obj.GetKind() + "/" + d.obj.GetName() }

// kustomization is the part of a kustomization.yaml these manifests use,
// decoded strictly: a field kustomize does not know here is a typo.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
	} `json:"labels"`
	Resources          []string `json:"resources"`
	ConfigMapGenerator []struct {
		Name    string `json:"name"`
		Options struct {
			Labels map[string]string `json:"labels"`
		} `json:"options"`
		Literals []string `json:"literals"`
	} `json:"configMapGenerator"`
	Images []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// dir is one kustomization directory and the documents of its files.
type dir struct {
	path string
	k    kustomization
	docs []doc // of the listed resources
	all  []doc // of every file, examples included
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// load reads every kustomization directory under deploy/k8s.
func load(t *testing.T) map[string]*dir {
	t.Helper()
	dirs := map[string]*dir{}
	err := filepath.WalkDir(".", func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		d := dirs[filepath.Dir(path)]
		if d == nil {
			d = &dir{path: filepath.Dir(path)}
			dirs[d.path] = d
		}
		if filepath.Base(path) == "kustomization.yaml" {
			if err := yaml.UnmarshalStrict(b, &d.k); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			return nil
		}
		for i, part := range docSep.Split(string(b), -1) {
			j, err := yaml.YAMLToJSONStrict([]byte(part))
			if err != nil {
				t.Errorf("%s, document %d: %v", path, i+1, err)
				continue
			}
			if string(j) == "null" { // comments only
				continue
			}
			obj := &unstructured.Unstructured{}
			if err := obj.UnmarshalJSON(j); err != nil {
				t.Errorf("%s, document %d: %v", path, i+1, err)
				continue
			}
			d.all = append(d.all, doc{file: path, raw: []byte(part), obj: obj})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		for _, x := range d.all {
			if slices.Contains(d.k.Resources, filepath.Base(x.file)) {
				d.docs = append(d.docs, x)
			}
		}
	}
	for _, want := range []string{".", "rabbitmq", "mariadb"} {
		if dirs[want] == nil || dirs[want].k.Kind == "" {
			t.Fatalf("no kustomization in deploy/k8s/%s", want)
		}
	}
	return dirs
}

// every returns the documents of kind in d.
func (d *dir) every(kind string) []doc {
	var out []doc
	for _, x := range d.docs {
		if x.obj.GetKind() == kind {
			out = append(out, x)
		}
	}
	return out
}

// decode strictly decodes x into v (a k8s.io/api type).
func decode(t *testing.T, x doc, v any) bool {
	t.Helper()
	if err := yaml.UnmarshalStrict(x.raw, v); err != nil {
		t.Errorf("%v: %v", x, err)
		return false
	}
	return true
}

func TestKindsAndStrictDecoding(t *testing.T) {
	for _, d := range load(t) {
		for _, x := range d.all {
			kind, group := x.obj.GetKind(), x.obj.GroupVersionKind().Group
			want, ok := knownKinds[kind]
			if !ok {
				want, ok = knownKinds[group+"/"+kind]
			}
			if !ok {
				t.Errorf("%v: unknown kind", x)
				continue
			}
			if x.obj.GetAPIVersion() != want {
				t.Errorf("%v: apiVersion %q, want %q", x, x.obj.GetAPIVersion(), want)
			}
			if x.obj.GetName() == "" {
				t.Errorf("%s: a %s without metadata.name", x.file, kind)
			}
			var typed any
			switch kind {
			case "Namespace":
				typed = &corev1.Namespace{}
			case "Service":
				typed = &corev1.Service{}
			case "Secret":
				typed = &corev1.Secret{}
			case "ConfigMap":
				typed = &corev1.ConfigMap{}
			case "Deployment":
				typed = &appsv1.Deployment{}
			case "Job":
				typed = &batchv1.Job{}
			case "PodDisruptionBudget":
				typed = &policyv1.PodDisruptionBudget{}
			case "Ingress":
				typed = &networkingv1.Ingress{}
			}
			if typed != nil {
				decode(t, x, typed)
			}
		}
		if d.k.APIVersion != "kustomize.config.k8s.io/v1beta1" || d.k.Kind != "Kustomization" {
			t.Errorf("%s/kustomization.yaml: %s %s", d.path, d.k.APIVersion, d.k.Kind)
		}
	}
}

// TestKustomizationListsEveryFile: each kustomization lists exactly the
// manifests of its directory, except the *.example.yaml files, which are
// applied by hand (or never: secret.example.yaml holds placeholders).
func TestKustomizationListsEveryFile(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range load(t) {
		files, _ := filepath.Glob(filepath.Join(d.path, "*.yaml"))
		var want []string
		for _, f := range files {
			rel, _ := filepath.Rel(".", f)
			if !strings.Contains(string(readme), "`"+filepath.ToSlash(rel)+"`") {
				t.Errorf("deploy/k8s/README.md does not describe `%s`", rel)
			}
			if b := filepath.Base(f); b != "kustomization.yaml" && !strings.HasSuffix(b, ".example.yaml") {
				want = append(want, b)
			}
		}
		got := slices.Sorted(slices.Values(d.k.Resources))
		if !slices.Equal(got, want) {
			t.Errorf("%s/kustomization.yaml resources %v, the directory has %v", d.path, got, want)
		}
		for _, x := range d.docs {
			if ns := x.obj.GetNamespace(); ns != "" && ns != d.k.Namespace {
				t.Errorf("%v: namespace %q in a kustomization for %q", x, ns, d.k.Namespace)
			}
		}
		if len(d.every("Namespace")) != 1 || d.every("Namespace")[0].obj.GetName() != d.k.Namespace {
			t.Errorf("%s: no Namespace %q among its resources", d.path, d.k.Namespace)
		}
	}
}

// settings returns the envconfig variable names of config.Config.
func settings() map[string]bool {
	out := map[string]bool{}
	ty := reflect.TypeFor[config.Config]()
	for i := range ty.NumField() {
		if n := ty.Field(i).Tag.Get("envconfig"); n != "" {
			out[n] = true
		}
	}
	return out
}

var commentedSetting = regexp.MustCompile(`(?m)^\s*#\s*-\s*(ILL_[A-Z0-9_]+)=`)

// literals returns the illhub-config ConfigMap's settings.
func literals(t *testing.T, base *dir) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, g := range base.k.ConfigMapGenerator {
		if g.Name != "illhub-config" {
			continue
		}
		for _, l := range g.Literals {
			name, value, ok := strings.Cut(l, "=")
			if !ok {
				t.Errorf("illhub-config literal %q: not NAME=value", l)
			}
			out[name] = value
		}
	}
	if len(out) == 0 {
		t.Fatal("kustomization.yaml: no illhub-config literals")
	}
	return out
}

// TestSettingsExist: every ILL_* name the manifests set, reference or
// suggest in a comment is a setting the programs read, and the ConfigMap's
// values load as config.Load would read them in a pod.
func TestSettingsExist(t *testing.T) {
	dirs := load(t)
	base := dirs["."]
	known := settings()
	check := func(where, name string) {
		if strings.HasPrefix(name, "ILL_") && !known[name] {
			t.Errorf("%s: %s is not a setting of config.Config", where, name)
		}
	}
	lits := literals(t, base)
	for name := range lits {
		check("illhub-config", name)
	}
	kb, _ := os.ReadFile("kustomization.yaml")
	for _, m := range commentedSetting.FindAllStringSubmatch(string(kb), -1) {
		check("kustomization.yaml (comment)", m[1])
	}
	for _, d := range dirs {
		for _, x := range d.all {
			switch x.obj.GetKind() {
			case "Secret":
				var s corev1.Secret
				if decode(t, x, &s) && x.obj.GetName() == "illhub-secrets" {
					for name := range s.StringData {
						check(x.String(), name)
					}
				}
			case "Deployment", "Job":
				for _, c := range containers(t, x) {
					for _, e := range c.Env {
						check(x.String(), e.Name)
						if r := e.ValueFrom; r != nil && r.ConfigMapKeyRef != nil {
							if _, ok := lits[r.ConfigMapKeyRef.Key]; !ok || r.ConfigMapKeyRef.Name != "illhub-config" {
								t.Errorf("%v: env %s from %s/%s, which illhub-config does not set", x, e.Name,
									r.ConfigMapKeyRef.Name, r.ConfigMapKeyRef.Key)
							}
						}
					}
				}
			}
		}
	}
	for name, value := range lits {
		t.Setenv(name, value)
	}
	if _, err := config.Load(); err != nil {
		t.Errorf("the ConfigMap's settings do not load: %v", err)
	}
}

// containers returns the pod template's containers of a Deployment or Job.
func containers(t *testing.T, x doc) []corev1.Container {
	t.Helper()
	switch x.obj.GetKind() {
	case "Deployment":
		var d appsv1.Deployment
		if decode(t, x, &d) {
			return d.Spec.Template.Spec.Containers
		}
	case "Job":
		var j batchv1.Job
		if decode(t, x, &j) {
			return j.Spec.Template.Spec.Containers
		}
	}
	return nil
}

// listenAddr names, per program, the setting of its HTTP listener (the
// producer's API, the others' metrics and health port).
var listenAddr = map[string]string{
	"producer":  "ILL_HTTP_ADDR",
	"consumers": "ILL_CONSUMERS_METRICS_ADDR",
	"scheduler": "ILL_SCHEDULER_METRICS_ADDR",
}

// TestWorkloads: the programs' Deployments and the migrate Job have an
// image, requests and limits, the restricted security context, the
// settings (envFrom), and probes on /healthz (liveness, start-up) and
// /readyz (readiness) at the port the program listens on.
func TestWorkloads(t *testing.T) {
	dirs := load(t)
	base := dirs["."]
	lits := literals(t, base)
	deployments := map[string]appsv1.Deployment{}
	for _, x := range base.every("Deployment") {
		var d appsv1.Deployment
		if !decode(t, x, &d) {
			continue
		}
		deployments[d.Name] = d
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("%v: selector %v does not select its pod template (%v)", x, d.Spec.Selector, d.Spec.Template.Labels)
		}
		c := d.Spec.Template.Spec.Containers
		if len(c) != 1 || len(c[0].Command) != 1 {
			t.Errorf("%v: want one container running one program", x)
			continue
		}
		prog := c[0].Command[0]
		addr, ok := listenAddr[prog]
		if !ok {
			t.Errorf("%v: runs %q, not one of the programs", x, prog)
			continue
		}
		_, portText, _ := strings.Cut(lits[addr], ":")
		port, err := strconv.Atoi(portText)
		if err != nil {
			t.Errorf("illhub-config %s=%q: not an address with a port", addr, lits[addr])
		}
		if len(c[0].Ports) != 1 || int(c[0].Ports[0].ContainerPort) != port {
			t.Errorf("%v: container ports %v, the program listens on %d (%s)", x, c[0].Ports, port, addr)
			continue
		}
		portName := c[0].Ports[0].Name
		for _, p := range []struct {
			what  string
			probe *corev1.Probe
			path  string
		}{{"startup", c[0].StartupProbe, "/healthz"}, {"liveness", c[0].LivenessProbe, "/healthz"},
			{"readiness", c[0].ReadinessProbe, "/readyz"}} {
			if p.probe == nil || p.probe.HTTPGet == nil {
				t.Errorf("%v: no HTTP %s probe", x, p.what)
				continue
			}
			if g := p.probe.HTTPGet; g.Path != p.path || (g.Port.StrVal != portName && int(g.Port.IntVal) != port) {
				t.Errorf("%v: %s probe GET %s on %s, want %s on %s", x, p.what, g.Path, g.Port.String(), p.path, portName)
			}
		}
		if a := d.Spec.Template.Annotations; a["prometheus.io/port"] != strconv.Itoa(port) {
			t.Errorf("%v: prometheus.io/port %q, the program listens on %d", x, a["prometheus.io/port"], port)
		}
	}
	for _, name := range []string{"illhub-producer", "illhub-consumers", "illhub-scheduler"} {
		if _, ok := deployments[name]; !ok {
			t.Errorf("no Deployment %s", name)
		}
	}
	// Two of each fixed-size program, so that one node's loss stops none;
	// the consumers' count belongs to KEDA (no replicas).
	for name, want := range map[string]int32{"illhub-producer": 2, "illhub-scheduler": 2} {
		if r := deployments[name].Spec.Replicas; r == nil || *r != want {
			t.Errorf("%s: replicas %v, want %d", name, r, want)
		}
	}
	if r := deployments["illhub-consumers"].Spec.Replicas; r != nil {
		t.Errorf("illhub-consumers sets replicas (%d): the ScaledObject owns the count", *r)
	}

	for _, d := range dirs {
		for _, x := range d.all {
			if k := x.obj.GetKind(); k != "Deployment" && k != "Job" {
				continue
			}
			var pod corev1.PodSpec
			if k := x.obj.GetKind(); k == "Deployment" {
				var dep appsv1.Deployment
				decode(t, x, &dep)
				pod = dep.Spec.Template.Spec
			} else {
				var job batchv1.Job
				decode(t, x, &job)
				pod = job.Spec.Template.Spec
			}
			if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot ||
				sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%v: pod not runAsNonRoot with the RuntimeDefault seccomp profile", x)
			}
			if a := pod.AutomountServiceAccountToken; a == nil || *a {
				t.Errorf("%v: mounts a service-account token", x)
			}
			for _, c := range pod.Containers {
				if c.Image == "" {
					t.Errorf("%v: container %s without an image", x, c.Name)
				}
				for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					if c.Resources.Requests.Name(res, "").IsZero() || c.Resources.Limits.Name(res, "").IsZero() {
						t.Errorf("%v: container %s without a %s request and limit", x, c.Name, res)
					}
				}
				if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
					sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.Capabilities == nil ||
					!slices.Contains(sc.Capabilities.Drop, "ALL") {
					t.Errorf("%v: container %s not restricted (no privilege escalation, read-only root, drop ALL)", x, c.Name)
				}
				if d.path == "." && !strings.HasSuffix(x.file, ".example.yaml") {
					var refs []string
					for _, e := range c.EnvFrom {
						switch {
						case e.ConfigMapRef != nil:
							refs = append(refs, "configmap/"+e.ConfigMapRef.Name)
						case e.SecretRef != nil:
							refs = append(refs, "secret/"+e.SecretRef.Name)
						}
					}
					if !slices.Equal(refs, []string{"configmap/illhub-config", "secret/illhub-secrets"}) {
						t.Errorf("%v: envFrom %v, want illhub-config and illhub-secrets", x, refs)
					}
				}
			}
		}
	}
}

// TestDisruptionBudgets: every Deployment and each data cluster has a
// PodDisruptionBudget, and every budget selects pods that exist: a
// Deployment's template, or the pods the RabbitMQ operator labels with its
// cluster's name. The MariaDB operator makes its own from
// spec.podDisruptionBudget.
func TestDisruptionBudgets(t *testing.T) {
	dirs := load(t)
	type pods struct {
		name   string
		labels labels.Set
	}
	for _, d := range dirs {
		var targets []pods
		for _, x := range d.every("Deployment") {
			var dep appsv1.Deployment
			if decode(t, x, &dep) {
				targets = append(targets, pods{x.String(), dep.Spec.Template.Labels})
			}
		}
		for _, x := range d.every("RabbitmqCluster") {
			targets = append(targets, pods{x.String(), labels.Set{"app.kubernetes.io/name": x.obj.GetName()}})
		}
		covered := map[string]bool{}
		for _, x := range d.every("PodDisruptionBudget") {
			var pdb policyv1.PodDisruptionBudget
			if !decode(t, x, &pdb) {
				continue
			}
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			if err != nil || sel.Empty() {
				t.Errorf("%v: selector %v", x, pdb.Spec.Selector)
				continue
			}
			if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
				t.Errorf("%v: want maxUnavailable 1", x)
			}
			n := 0
			for _, p := range targets {
				if sel.Matches(p.labels) {
					covered[p.name] = true
					n++
				}
			}
			if n != 1 {
				t.Errorf("%v: selects the pods of %d workloads, want 1", x, n)
			}
		}
		for _, p := range targets {
			if !covered[p.name] {
				t.Errorf("%s: no PodDisruptionBudget", p.name)
			}
		}
		for _, x := range d.every("Service") {
			var svc corev1.Service
			if !decode(t, x, &svc) {
				continue
			}
			n := 0
			for _, p := range targets {
				if labels.SelectorFromSet(svc.Spec.Selector).Matches(p.labels) {
					n++
				}
			}
			if len(svc.Spec.Selector) == 0 || n != 1 {
				t.Errorf("%v: selector %v matches %d workloads", x, svc.Spec.Selector, n)
			}
		}
	}
	for _, x := range dirs["mariadb"].every("MariaDB") {
		if v, _, _ := unstructured.NestedInt64(x.obj.Object, "spec", "podDisruptionBudget", "maxUnavailable"); v != 1 {
			t.Errorf("%v: spec.podDisruptionBudget.maxUnavailable %d, want 1", x, v)
		}
	}
}

// field returns the string at path in x, failing the test when absent.
func field(t *testing.T, x doc, path ...string) string {
	t.Helper()
	v, ok, err := unstructured.NestedFieldNoCopy(x.obj.Object, path...)
	if !ok || err != nil {
		t.Errorf("%v: no %s", x, strings.Join(path, "."))
		return ""
	}
	return fmt.Sprint(v)
}

// TestAutoscaler: KEDA scales illhub-consumers on the backlog of the queue
// the consumers read (rabbitmq.QueueRequests), counting ready and
// unacknowledged messages (management API, QueueLength, unacked included),
// with credentials from a TriggerAuthentication that exists.
func TestAutoscaler(t *testing.T) {
	base := load(t)["."]
	auths := map[string]bool{}
	for _, x := range base.every("TriggerAuthentication") {
		auths[x.obj.GetName()] = true
	}
	sos := base.every("ScaledObject")
	if len(sos) != 1 {
		t.Fatalf("%d ScaledObjects, want 1", len(sos))
	}
	so := sos[0]
	if k, n := field(t, so, "spec", "scaleTargetRef", "kind"), field(t, so, "spec", "scaleTargetRef", "name"); k != "Deployment" || n != "illhub-consumers" {
		t.Errorf("%v: scales %s %s", so, k, n)
	}
	lo, _, _ := unstructured.NestedInt64(so.obj.Object, "spec", "minReplicaCount")
	hi, _, _ := unstructured.NestedInt64(so.obj.Object, "spec", "maxReplicaCount")
	if lo < 2 || hi < lo {
		t.Errorf("%v: replicas %d..%d, want at least 2", so, lo, hi)
	}
	triggers, _, _ := unstructured.NestedSlice(so.obj.Object, "spec", "triggers")
	if len(triggers) != 1 {
		t.Fatalf("%v: %d triggers, want 1", so, len(triggers))
	}
	tr, _ := triggers[0].(map[string]any)
	md, _ := tr["metadata"].(map[string]any)
	want := map[string]string{"protocol": "http", "mode": "QueueLength", "queueName": rabbitmq.QueueRequests,
		"excludeUnacknowledged": "false"}
	if tr["type"] != "rabbitmq" {
		t.Errorf("%v: trigger type %v", so, tr["type"])
	}
	for k, v := range want {
		if md[k] != v {
			t.Errorf("%v: trigger %s = %v, want %q", so, k, md[k], v)
		}
	}
	if v, err := strconv.ParseFloat(fmt.Sprint(md["value"]), 64); err != nil || v <= 0 {
		t.Errorf("%v: trigger value %v", so, md["value"])
	}
	if md["host"] != nil {
		t.Errorf("%v: credentials in the trigger's metadata; use the TriggerAuthentication", so)
	}
	ref, _ := tr["authenticationRef"].(map[string]any)
	if ref == nil || !auths[fmt.Sprint(ref["name"])] {
		t.Errorf("%v: authenticationRef %v names no TriggerAuthentication", so, ref)
	}
}

// TestClusters: the RabbitMQ and MariaDB clusters have three members, the
// Galera settings illhub depends on, and the Secret's example connection
// settings name their services: every RabbitMQ node in ILL_AMQP_URL and the
// Galera primary in ILL_MYSQL_DSN.
func TestClusters(t *testing.T) {
	dirs := load(t)
	rc := dirs["rabbitmq"].every("RabbitmqCluster")
	if len(rc) != 1 {
		t.Fatalf("%d RabbitmqClusters, want 1", len(rc))
	}
	rmq := rc[0]
	if r, _, _ := unstructured.NestedInt64(rmq.obj.Object, "spec", "replicas"); r != 3 {
		t.Errorf("%v: replicas %d, want 3", rmq, r)
	}
	if field(t, rmq, "spec", "image") == "" || field(t, rmq, "spec", "resources", "limits", "memory") == "" {
		t.Errorf("%v: image and memory limit required", rmq)
	}
	users := map[string]bool{}
	for _, x := range dirs["rabbitmq"].every("User") {
		users[x.obj.GetName()] = true
		if c := field(t, x, "spec", "rabbitmqClusterReference", "name"); c != rmq.obj.GetName() {
			t.Errorf("%v: cluster %q", x, c)
		}
	}
	for _, x := range dirs["rabbitmq"].every("Permission") {
		if u := field(t, x, "spec", "user"); !users[u] {
			t.Errorf("%v: user %q has no User", x, u)
		}
	}
	if !users["illhub"] || !users["keda"] {
		t.Errorf("rabbitmq/users.yaml: users %v, want illhub and keda", users)
	}

	mdb := dirs["mariadb"].every("MariaDB")
	if len(mdb) != 1 {
		t.Fatalf("%d MariaDBs, want 1", len(mdb))
	}
	db := mdb[0]
	if r, _, _ := unstructured.NestedInt64(db.obj.Object, "spec", "replicas"); r != 3 {
		t.Errorf("%v: replicas %d, want 3", db, r)
	}
	for _, path := range [][]string{{"spec", "galera", "enabled"}, {"spec", "galera", "primary", "autoFailover"}} {
		if v, _, _ := unstructured.NestedBool(db.obj.Object, path...); !v {
			t.Errorf("%v: %s not true", db, strings.Join(path, "."))
		}
	}
	cnf := field(t, db, "spec", "myCnf")
	for _, want := range []string{"binlog_format=row", "innodb_autoinc_lock_mode=2", "default_storage_engine=InnoDB",
		"collation-server=utf8mb4_unicode_ci", "max_connections="} {
		if !strings.Contains(cnf, want) {
			t.Errorf("%v: myCnf lacks %s", db, want)
		}
	}
	for _, kind := range []string{"User", "Grant"} {
		for _, x := range dirs["mariadb"].every(kind) {
			if r := field(t, x, "spec", "mariaDbRef", "name"); r != db.obj.GetName() {
				t.Errorf("%v: mariaDbRef %q", x, r)
			}
		}
	}

	var secrets corev1.Secret
	for _, x := range dirs["."].all {
		if x.obj.GetKind() == "Secret" && x.obj.GetName() == "illhub-secrets" {
			decode(t, x, &secrets)
		}
	}
	var hosts []string
	for _, u := range strings.Split(secrets.StringData["ILL_AMQP_URL"], ",") {
		p, err := url.Parse(u)
		if err != nil || p.Scheme != "amqp" {
			t.Errorf("ILL_AMQP_URL: %q is not an amqp URL", u)
			continue
		}
		hosts = append(hosts, p.Host)
	}
	n, ns := rmq.obj.GetName(), dirs["rabbitmq"].k.Namespace
	var want []string
	for i := range 3 {
		want = append(want, fmt.Sprintf("%s-server-%d.%s-nodes.%s.svc.cluster.local:5672", n, i, n, ns))
	}
	if !slices.Equal(hosts, want) {
		t.Errorf("ILL_AMQP_URL hosts %v, want the three nodes %v", hosts, want)
	}
	primary := fmt.Sprintf("@tcp(%s-primary.%s.svc.cluster.local:3306)/illhub", db.obj.GetName(), dirs["mariadb"].k.Namespace)
	if dsn := secrets.StringData["ILL_MYSQL_DSN"]; !strings.Contains(dsn, primary) {
		t.Errorf("ILL_MYSQL_DSN %q does not name the Galera primary (%s)", dsn, primary)
	}
}
