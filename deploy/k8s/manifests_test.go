package k8s

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// repoRoot is the rakam repository this module sits in.
const repoRoot = "../.."

// kinds maps "apiVersion kind" to a new value of its Go type.
var kinds = map[string]func() any{
	"apps/v1 Deployment":                     func() any { return &appsv1.Deployment{} },
	"v1 Service":                             func() any { return &corev1.Service{} },
	"v1 PersistentVolumeClaim":               func() any { return &corev1.PersistentVolumeClaim{} },
	"autoscaling/v2 HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1 PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"batch/v1 Job":                           func() any { return &batchv1.Job{} },
}

// object is one decoded manifest document.
type object struct {
	where string // file:document
	obj   any
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// decodeAll decodes every document of src strictly: an unknown or
// duplicated field, a wrong type or an unknown kind is an error.
func decodeAll(name string, src []byte) ([]object, error) {
	var out []object
	for i, doc := range docSep.Split(string(src), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(doc, "")) == "" {
			continue
		}
		where := fmt.Sprintf("%s:%d", name, i+1)
		var tm struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		mk, ok := kinds[tm.APIVersion+" "+tm.Kind]
		if !ok {
			return nil, fmt.Errorf("%s: apiVersion %q kind %q is not one this test knows", where, tm.APIVersion, tm.Kind)
		}
		obj := mk()
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		out = append(out, object{where, obj})
	}
	return out, nil
}

func loadManifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests (*.yaml) here: %v", err)
	}
	var all []object
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeAll(f, src)
		if err != nil {
			t.Fatalf("decoding strictly: %v", err)
		}
		all = append(all, objs...)
	}
	return all
}

// TestManifestsDecodeStrictly decodes every manifest into its k8s.io/api
// type with unknown fields rejected, and checks that the set is complete.
func TestManifestsDecodeStrictly(t *testing.T) {
	objs := loadManifests(t)
	count := map[string]int{}
	for _, o := range objs {
		count[fmt.Sprintf("%T", o.obj)]++
		if j, ok := o.obj.(*batchv1.Job); ok && j.Spec.CompletionMode != nil && *j.Spec.CompletionMode == batchv1.IndexedCompletion {
			count["indexed job"]++
		}
	}
	for _, want := range []string{"*v1.Deployment", "*v1.Service", "*v2.HorizontalPodAutoscaler", "*v1.PodDisruptionBudget",
		"*v1.PersistentVolumeClaim", "*v1.Job", "indexed job"} {
		if count[want] == 0 {
			t.Errorf("no %s among the manifests (%v)", want, count)
		}
	}
	// The strictness the test relies on: a misspelt field is refused.
	bad := []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  selectr: {}\n")
	if _, err := decodeAll("bad.yaml", bad); err == nil || !strings.Contains(err.Error(), "selectr") {
		t.Errorf("decoding a Service with the unknown field selectr = %v; want an error naming it", err)
	}
}

// rakam is the binary built from the repository, with what its --help says.
type rakam struct {
	bin  string
	help map[string]string // "search merge" -> its --help output
}

func buildRakam(t *testing.T) *rakam {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rakam")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/rakam")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/rakam: %v\n%s", err, out)
	}
	return &rakam{bin: bin, help: map[string]string{}}
}

// run runs the binary and returns its exit code and output.
func (r *rakam) run(env []string, args ...string) (int, string) {
	cmd := exec.Command(r.bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if xe, ok := err.(*exec.ExitError); ok {
		return xe.ExitCode(), out.String()
	}
	if err != nil {
		return -1, err.Error()
	}
	return 0, out.String()
}

// command splits a rakam argument list into its (sub)command and the rest,
// asking the binary whether the second word is a subcommand.
func (r *rakam) command(args []string) (string, []string) {
	if len(args) >= 2 && !strings.HasPrefix(args[1], "-") {
		name := args[0] + " " + args[1]
		if code, out := r.run(nil, args[0], args[1], "--help"); code == 0 && strings.HasPrefix(out, "Usage: rakam "+name+" ") {
			r.help[name] = out
			return name, args[2:]
		}
	}
	if _, ok := r.help[args[0]]; !ok {
		_, out := r.run(nil, args[0], "--help")
		r.help[args[0]] = out
	}
	return args[0], args[1:]
}

var helpFlag = regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)

// flags returns the flags the command's --help lists.
func (r *rakam) flags(cmd string) []string {
	var fs []string
	for _, m := range helpFlag.FindAllStringSubmatch(r.help[cmd], -1) {
		fs = append(fs, m[1])
	}
	return fs
}

// invocation is one container's rakam command line, split.
type invocation struct {
	where      string
	cmd        string            // "search", "search merge", ...
	flags      map[string]string // --name value ("" for a flag given alone)
	positional []string
	env        map[string]string
	mounts     []corev1.VolumeMount
	volumes    []corev1.Volume
}

// entrypoint reads the Containerfile's ENTRYPOINT and the paths it COPYs to.
func entrypoint(t *testing.T) ([]string, []string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, "Containerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var ep, copied []string
	for _, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, "ENTRYPOINT "); ok {
			if err := json.Unmarshal([]byte(rest), &ep); err != nil {
				t.Fatalf("Containerfile ENTRYPOINT %s: %v", rest, err)
			}
		}
		if rest, ok := strings.CutPrefix(line, "COPY "); ok {
			f := strings.Fields(rest)
			copied = append(copied, f[len(f)-1])
		}
	}
	if len(ep) < 2 {
		t.Fatalf("Containerfile has no ENTRYPOINT [binary, command, ...]: %q", ep)
	}
	return ep, copied
}

// podSpecs returns every pod template of the manifests, by where it is.
func podSpecs(objs []object) map[string]*corev1.PodSpec {
	ps := map[string]*corev1.PodSpec{}
	for _, o := range objs {
		switch x := o.obj.(type) {
		case *appsv1.Deployment:
			ps[o.where+" "+x.Name] = &x.Spec.Template.Spec
		case *batchv1.Job:
			ps[o.where+" "+x.Name] = &x.Spec.Template.Spec
		}
	}
	return ps
}

// invocations checks every container's command against the binary: it is
// the image's binary, its (sub)command exists, every flag is one the
// command's --help lists, and rakam itself accepts the whole command line
// (run with --help appended, it parses every flag and value first).
func invocations(t *testing.T, r *rakam, objs []object, bin string) []invocation {
	t.Helper()
	var out []invocation
	for where, ps := range podSpecs(objs) {
		for _, c := range append(append([]corev1.Container(nil), ps.InitContainers...), ps.Containers...) {
			w := where + " container " + c.Name
			argv := append(append([]string(nil), c.Command...), c.Args...)
			if len(argv) < 2 || argv[0] != bin {
				t.Errorf("%s: command %q; want the image's binary %s and a rakam command", w, argv, bin)
				continue
			}
			cmd, rest := r.command(argv[1:])
			if !strings.HasPrefix(r.help[cmd], "Usage: rakam "+cmd) {
				t.Errorf("%s: 'rakam %s' is not a rakam command: %s", w, cmd, firstLine(r.help[cmd]))
				continue
			}
			known := r.flags(cmd)
			inv := invocation{where: w, cmd: cmd, flags: map[string]string{}, env: map[string]string{}, mounts: c.VolumeMounts, volumes: ps.Volumes}
			for _, e := range c.Env {
				inv.env[e.Name] = e.Value
			}
			for i := 0; i < len(rest); i++ {
				a := rest[i]
				if !strings.HasPrefix(a, "-") {
					inv.positional = append(inv.positional, a)
					continue
				}
				name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
				if !slices.Contains(known, name) {
					t.Errorf("%s: flag --%s is not a flag of 'rakam %s' (its flags: %s)", w, name, cmd, strings.Join(known, ", "))
					continue
				}
				if !hasVal && i+1 < len(rest) && !strings.HasPrefix(rest[i+1], "-") && !isBoolFlag(r.help[cmd], name) {
					val = rest[i+1]
					i++
				}
				inv.flags[name] = val
			}
			if len(inv.positional) > 0 && !takesArgs[cmd] {
				t.Errorf("%s: 'rakam %s' takes no arguments; got %q (a misspelt subcommand?)", w, cmd, inv.positional)
			}
			args := append(append([]string(nil), argv[1:]...), "--help")
			if code, msg := r.run(nil, args...); code != 0 {
				t.Errorf("%s: rakam refuses %q: exit %d: %s", w, argv[1:], code, firstLine(msg))
			}
			out = append(out, inv)
		}
	}
	return out
}

// takesArgs lists the commands used here that take arguments besides flags.
var takesArgs = map[string]bool{"search merge": true}

// isBoolFlag reports whether the help lists the flag without a value name.
func isBoolFlag(help, name string) bool {
	m := regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(name) + `( .*)?$`).FindStringSubmatch(help)
	return m != nil && m[1] == ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// TestManifestsMatchRakam checks the manifests against rakam built from
// this repository: commands and flags (so a renamed flag fails), the
// search Job's trials and folder, the compare Jobs' models, the paths on
// the shared volume, the serving ports, selectors and probe paths, the
// latter against serve's route table and a running rakam serve.
func TestManifestsMatchRakam(t *testing.T) {
	objs := loadManifests(t)
	ep, copied := entrypoint(t)
	r := buildRakam(t)
	invs := invocations(t, r, objs, ep[0])

	claims := map[string]bool{}
	for _, o := range objs {
		if p, ok := o.obj.(*corev1.PersistentVolumeClaim); ok {
			claims[p.Name] = true
		}
	}
	onVolume := func(inv invocation, what, path string) {
		t.Helper()
		for _, m := range inv.mounts {
			if path == m.MountPath || strings.HasPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/") {
				for _, v := range inv.volumes {
					if v.Name == m.Name && v.PersistentVolumeClaim != nil && claims[v.PersistentVolumeClaim.ClaimName] {
						return
					}
				}
			}
		}
		t.Errorf("%s: %s %s is not on a mounted volume claimed by one of the manifests", inv.where, what, path)
	}

	var searchDir, mergeDir string
	var searchTrials string
	compareFlags := map[string]string{}
	var only []string
	for _, inv := range invs {
		for _, f := range []string{"trial-dir", "to", "data"} {
			if v, ok := inv.flags[f]; ok {
				onVolume(inv, "--"+f, v)
			}
		}
		if v, ok := inv.env["RAKAM_DATA"]; ok {
			onVolume(inv, "RAKAM_DATA", v)
		}
		switch inv.cmd {
		case "search":
			searchDir, searchTrials = inv.flags["trial-dir"], inv.flags["trials"]
			if _, ok := inv.flags["trial"]; ok {
				t.Errorf("%s: an Indexed Job's pods take their trial from JOB_COMPLETION_INDEX; drop --trial", inv.where)
			}
		case "search merge":
			if len(inv.positional) != 1 {
				t.Errorf("%s: search merge takes one folder, got %q", inv.where, inv.positional)
			} else {
				mergeDir = inv.positional[0]
				onVolume(inv, "the folder", mergeDir)
			}
			onVolume(inv, "--out", inv.flags["out"])
		case "compare":
			onVolume(inv, "--out", inv.flags["out"])
			rest := map[string]string{}
			for k, v := range inv.flags {
				if k != "only" {
					rest[k] = v
				}
			}
			key, _ := json.Marshal(rest)
			compareFlags[string(key)] = inv.where
			if v, ok := inv.flags["only"]; ok {
				only = append(only, strings.Split(v, ",")...)
			}
		case "serve":
			if m := inv.flags["model"]; !slices.Contains(copied, m) {
				t.Errorf("%s: --model %s is not a file the Containerfile copies into the image (%v)", inv.where, m, copied)
			}
		}
	}
	if searchDir == "" || searchDir != mergeDir {
		t.Errorf("the search Job writes trials to %q; the merge Job reads %q", searchDir, mergeDir)
	}
	for _, o := range objs {
		if j, ok := o.obj.(*batchv1.Job); ok && j.Spec.CompletionMode != nil && *j.Spec.CompletionMode == batchv1.IndexedCompletion {
			if j.Spec.Completions == nil || strconv.Itoa(int(*j.Spec.Completions)) != searchTrials {
				n := "no"
				if j.Spec.Completions != nil {
					n = strconv.Itoa(int(*j.Spec.Completions))
				}
				t.Errorf("%s: Indexed Job %s has %s completions; the search has --trials %s (one pod per trial)", o.where, j.Name, n, searchTrials)
			}
		}
	}
	if len(compareFlags) != 1 {
		t.Errorf("the compare Jobs use different flags besides --only (%v); the report would retrain what does not match", compareFlags)
	}
	m := regexp.MustCompile(`of the study: ([^)]*)\)`).FindStringSubmatch(r.help["compare"])
	if m == nil {
		t.Fatalf("rakam compare --help lists no models for --only:\n%s", r.help["compare"])
	}
	models := strings.Split(m[1], ", ")
	sortedOnly := slices.Sorted(slices.Values(only))
	if !slices.Equal(sortedOnly, slices.Sorted(slices.Values(models))) {
		t.Errorf("the compare Jobs' --only lists name %v; want every model of the study once: %v", sortedOnly, models)
	}

	checkServing(t, r, objs)
}

// checkServing checks the Deployment, Service, HPA and PDB against one
// another and the probe paths against rakam serve.
func checkServing(t *testing.T, r *rakam, objs []object) {
	t.Helper()
	var dep *appsv1.Deployment
	var svc *corev1.Service
	var hpa *autoscalingv2.HorizontalPodAutoscaler
	var pdb *policyv1.PodDisruptionBudget
	for _, o := range objs {
		switch x := o.obj.(type) {
		case *appsv1.Deployment:
			dep = x
		case *corev1.Service:
			svc = x
		case *autoscalingv2.HorizontalPodAutoscaler:
			hpa = x
		case *policyv1.PodDisruptionBudget:
			pdb = x
		}
	}
	if dep == nil || svc == nil || hpa == nil || pdb == nil {
		t.Fatal("the serving manifests need a Deployment, a Service, a HorizontalPodAutoscaler and a PodDisruptionBudget")
	}
	pod := dep.Spec.Template
	sub := func(sel map[string]string) bool {
		for k, v := range sel {
			if pod.Labels[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	if dep.Spec.Selector == nil || !sub(dep.Spec.Selector.MatchLabels) {
		t.Errorf("Deployment %s: selector %v does not match its pods' labels %v", dep.Name, dep.Spec.Selector, pod.Labels)
	}
	if !sub(svc.Spec.Selector) {
		t.Errorf("Service %s: selector %v does not match the serve pods' labels %v", svc.Name, svc.Spec.Selector, pod.Labels)
	}
	if pdb.Spec.Selector == nil || !sub(pdb.Spec.Selector.MatchLabels) {
		t.Errorf("PodDisruptionBudget %s: selector does not match the serve pods", pdb.Name)
	}
	if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != dep.Name || ref.APIVersion != "apps/v1" {
		t.Errorf("HorizontalPodAutoscaler %s scales %+v; want the Deployment %s", hpa.Name, ref, dep.Name)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("the serve pod has %d containers; want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("serve container: resources %+v; want CPU and memory requests (the HPA scales on CPU) and a memory limit", c.Resources)
	}
	port := map[string]int32{}
	for _, p := range c.Ports {
		port[p.Name] = p.ContainerPort
	}
	envPort := ""
	for _, e := range c.Env {
		if e.Name == "PORT" {
			envPort = e.Value
		}
	}
	if envPort == "" || envPort != strconv.Itoa(int(port["http"])) {
		t.Errorf("serve container: PORT=%q but containerPort http is %d: rakam listens on :$PORT", envPort, port["http"])
	}
	if tp := svc.Spec.Ports[0].TargetPort; (tp.StrVal != "" && port[tp.StrVal] == 0) || (tp.StrVal == "" && tp.IntVal != port["http"]) {
		t.Errorf("Service %s: targetPort %v is not the serve container's port", svc.Name, tp.String())
	}
	args := append(append([]string(nil), c.Command...), c.Args...)
	drain := time.Duration(0)
	for i, a := range args {
		if a == "--drain-delay" && i+1 < len(args) {
			drain, _ = time.ParseDuration(args[i+1])
		}
	}
	grace := int64(30)
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = *pod.Spec.TerminationGracePeriodSeconds
	}
	if drain <= 0 || drain+10*time.Second > time.Duration(grace)*time.Second {
		t.Errorf("serve: --drain-delay %v plus rakam's 10 s to finish requests must be within terminationGracePeriodSeconds %d", drain, grace)
	}
	var probes []string
	for _, p := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe, c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			continue
		}
		if pp := p.HTTPGet.Port; (pp.StrVal != "" && port[pp.StrVal] == 0) || (pp.StrVal == "" && pp.IntVal != port["http"]) {
			t.Errorf("probe %s: port %s is not the serve container's", p.HTTPGet.Path, pp.String())
		}
		probes = append(probes, p.HTTPGet.Path)
	}
	if c.LivenessProbe == nil || c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("serve container: want a liveness probe and a readiness probe on /readyz (which turns 503 on SIGTERM)")
	}
	routes := serveRoutes(t)
	for _, p := range probes {
		if !routes[p] {
			t.Errorf("probe path %s is not a route of rakam serve (serve's routes: %v)", p, routes)
		}
	}
	probeLive(t, r, c.Args, probes)
}

var routeRE = regexp.MustCompile(`mux\.Handle\("([^"]+)"`)

// serveRoutes reads the paths serve's mux registers from its source.
func serveRoutes(t *testing.T) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(repoRoot, "serve", "*.go"))
	routes := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range routeRE.FindAllStringSubmatch(string(src), -1) {
			routes[m[1]] = true
		}
	}
	if !routes["/livez"] {
		t.Fatalf("found no route table in %s/serve (looked for mux.Handle(\"/livez\" ...)); update serveRoutes", repoRoot)
	}
	return routes
}

// probeLive trains a small model (when MNIST is found), starts the built
// rakam serve with the Deployment's flags and a PORT, and requires 200
// from every probe path.
func probeLive(t *testing.T, r *rakam, args, probes []string) {
	t.Helper()
	model := filepath.Join(t.TempDir(), "model.safetensors")
	if code, out := r.run(nil, "train", "--model", "baseline-adam", "--epochs", "1", "--train-limit", "500", "--val", "100", "--out", model, "--quiet"); code != 0 {
		t.Logf("no live probe check: could not train a small model (MNIST missing?): %s", firstLine(out))
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(r.bin, append([]string{"serve", "--model", model}, args...)...)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	get := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(20 * time.Second)
	for get("/livez") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("rakam serve %v with PORT=%d did not answer /livez within 20 s; its log:\n%s", args, port, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range probes {
		if code := get(p); code != http.StatusOK {
			t.Errorf("GET %s from rakam serve = %d; want 200", p, code)
		}
	}
	if code := get("/no-such-probe"); code != http.StatusNotFound {
		t.Errorf("GET /no-such-probe = %d; want 404 (else the probe check proves nothing)", code)
	}
}
