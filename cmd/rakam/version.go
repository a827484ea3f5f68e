package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"golang.org/x/sys/cpu"

	"github.com/rakam-ml/rakam/internal/version"
	"github.com/rakam-ml/rakam/tensor"
)

func init() {
	register(&command{name: "version", summary: "print the version, commit, Go version and CPU features", run: runVersion})
}

// versionReport is what 'rakam version --json' prints.
type versionReport struct {
	// Module is the module version the binary was built at: "v1.2.3"
	// from go install ...@v1.2.3; from a git checkout the pseudo-version
	// the go command stamps (v0.0.0-DATE-COMMIT[+dirty]), or "(devel)"
	// when it stamps none (-buildvcs=false).
	Module string `json:"version"`
	// Release is rakam's own release number, the one model files record.
	Release string `json:"release"`
	// Commit is the VCS revision the build recorded, or "unknown" (no
	// git, or -buildvcs=false).
	Commit string `json:"commit"`
	// Modified is true when the checkout had uncommitted changes.
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	// Tags are the build tags (-tags), e.g. "purego", which forces the
	// pure-Go matrix kernel.
	Tags string `json:"tags,omitempty"`
	// CPU lists the features the matrix kernels are chosen from (see
	// the README's CPU paths): on amd64 AVX-512F, then AVX2 with FMA; on
	// arm64 ASIMD (NEON); pure Go otherwise or with -tags purego.
	CPU cpuFeatures `json:"cpu"`
	// Kernels names the matrix micro-kernels this process runs: the one
	// chosen from the CPU's features, then the alternatives it hands the
	// products they fit better to (tensor.Kernels).
	Kernels []string `json:"kernels"`
}

type cpuFeatures struct {
	AVX512F bool `json:"avx512f"`
	AVX2    bool `json:"avx2"`
	FMA     bool `json:"fma"`
	ASIMD   bool `json:"asimd"`
}

// String renders the features that are present, "none" when none is.
func (f cpuFeatures) String() string {
	var on []string
	for _, c := range []struct {
		name string
		has  bool
	}{{"avx512f", f.AVX512F}, {"avx2", f.AVX2}, {"fma", f.FMA}, {"asimd", f.ASIMD}} {
		if c.has {
			on = append(on, c.name)
		}
	}
	if len(on) == 0 {
		return "none"
	}
	return strings.Join(on, " ")
}

// newVersionReport reads the build information (bi may be nil when the
// binary carries none) and the CPU's features as golang.org/x/sys/cpu
// reports them, which honours GODEBUG (cpu.avx512f=off) as the kernels do.
func newVersionReport(bi *debug.BuildInfo, f cpuFeatures) versionReport {
	r := versionReport{Module: "(devel)", Release: version.Base, Commit: "unknown", Go: runtime.Version(),
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPU: f}
	if bi == nil {
		return r
	}
	if v := bi.Main.Version; v != "" {
		r.Module = v
	}
	if bi.GoVersion != "" {
		r.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if s.Value != "" {
				r.Commit = s.Value
			}
		case "vcs.modified":
			r.Modified = s.Value == "true"
		case "-tags":
			r.Tags = s.Value
		case "GOOS":
			r.OS = s.Value
		case "GOARCH":
			r.Arch = s.Value
		}
	}
	return r
}

func hostCPU() cpuFeatures {
	return cpuFeatures{AVX512F: cpu.X86.HasAVX512F, AVX2: cpu.X86.HasAVX2, FMA: cpu.X86.HasFMA, ASIMD: cpu.ARM64.HasASIMD}
}

func runVersion(ctx context.Context, e *env, args []string) error {
	var asJSON bool
	fs := newFlags(e, "version", "[--json]", `
Prints the module version (v1.2.3 from go install ...@v1.2.3; from a git
checkout the pseudo-version Go stamps, or "(devel)" with -buildvcs=false), the
git commit the build recorded ("unknown" when it recorded none, e.g. with
-buildvcs=false), the Go version, the operating system and architecture, the
build tags, the CPU features the matrix kernels are chosen from (avx512f,
then avx2 with fma, on amd64; asimd on arm64; the pure-Go kernel otherwise or
with -tags purego), and the micro-kernel chosen, with the alternatives it
hands the products they fit better to (e.g. avx512_14x32, by shape also
avx512_8x48, avx512_16x16, avx2_6x16; GODEBUG=cpu.avx512f=off gives avx2_6x16).`)
	fs.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	r := newVersionReport(bi, hostCPU())
	r.Kernels = tensor.Kernels()
	if asJSON {
		return writeJSON(e.stdout, r)
	}
	commit := r.Commit
	if r.Modified {
		commit += " (with uncommitted changes)"
	}
	fmt.Fprintf(e.stdout, "rakam %s (release %s)\n", r.Module, r.Release)
	fmt.Fprintf(e.stdout, "commit  %s\n", commit)
	fmt.Fprintf(e.stdout, "go      %s %s/%s\n", r.Go, r.OS, r.Arch)
	if r.Tags != "" {
		fmt.Fprintf(e.stdout, "tags    %s\n", r.Tags)
	}
	fmt.Fprintf(e.stdout, "cpu     %s\n", r.CPU)
	fmt.Fprintf(e.stdout, "kernel  %s", r.Kernels[0])
	if len(r.Kernels) > 1 {
		fmt.Fprintf(e.stdout, " (by shape also %s)", strings.Join(r.Kernels[1:], ", "))
	}
	fmt.Fprintln(e.stdout)
	return nil
}
