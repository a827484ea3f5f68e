package main

import (
	"encoding/json"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/tensor"
)

func TestVersionReport(t *testing.T) {
	f := cpuFeatures{AVX2: true, FMA: true}
	for _, c := range []struct {
		name string
		bi   *debug.BuildInfo
		want versionReport
	}{
		{"no build info", nil, versionReport{Module: "(devel)", Commit: "unknown"}},
		{"checkout without vcs", &debug.BuildInfo{Main: debug.Module{Path: "github.com/rakam-ml/rakam", Version: "(devel)"}},
			versionReport{Module: "(devel)", Commit: "unknown"}},
		{"empty version", &debug.BuildInfo{}, versionReport{Module: "(devel)", Commit: "unknown"}},
		{"go install at a tag", &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "true"},
				{Key: "-tags", Value: "purego"}, {Key: "GOOS", Value: "plan9"}, {Key: "GOARCH", Value: "riscv64"}}},
			versionReport{Module: "v1.2.3", Commit: "0123456789abcdef", Modified: true, Go: "go1.99.1", Tags: "purego", OS: "plan9", Arch: "riscv64"}},
	} {
		got := newVersionReport(c.bi, f)
		w := c.want
		w.Release, w.CPU = "0.1.0", f
		if w.Go == "" {
			w.Go = runtime.Version()
		}
		if w.OS == "" {
			w.OS, w.Arch = runtime.GOOS, runtime.GOARCH
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s: newVersionReport = %+v; want %+v", c.name, got, w)
		}
	}
	if s := (cpuFeatures{}).String(); s != "none" {
		t.Errorf("no features = %q; want none", s)
	}
	if s := f.String(); s != "avx2 fma" {
		t.Errorf("features = %q; want \"avx2 fma\"", s)
	}
}

func TestVersionCommand(t *testing.T) {
	code, out, errs := runCLI(t, "version", "--json")
	if code != 0 {
		t.Fatalf("rakam version --json = %d, %s", code, errs)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("rakam version --json printed %q: %v", out, err)
	}
	host := hostCPU()
	cpu, _ := r["cpu"].(map[string]any)
	if r["go"] != runtime.Version() || r["arch"] != runtime.GOARCH || r["version"] == "" || r["commit"] == "" ||
		cpu["avx512f"] != host.AVX512F || cpu["avx2"] != host.AVX2 || cpu["asimd"] != host.ASIMD {
		t.Errorf("rakam version --json = %s; want go %s, arch %s, a version, a commit and the CPU's features %+v",
			out, runtime.Version(), runtime.GOARCH, host)
	}
	if ks, _ := r["kernels"].([]any); len(ks) == 0 || ks[0] != tensor.Kernels()[0] {
		t.Errorf("rakam version --json kernels = %v; want %v", r["kernels"], tensor.Kernels())
	}
	code, out, _ = runCLI(t, "version")
	for _, want := range []string{"rakam ", "commit  ", "go      " + runtime.Version(), "cpu     " + host.String(), "kernel  " + tensor.Kernels()[0]} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("rakam version = %d, %q; want a line with %q", code, out, want)
		}
	}
	if code, _, errs := runCLI(t, "version", "extra"); code != 2 || !strings.Contains(errs, `unexpected argument "extra"`) {
		t.Errorf("rakam version extra = %d, %q; want 2", code, errs)
	}
}
