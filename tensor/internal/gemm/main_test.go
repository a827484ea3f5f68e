package gemm

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Every kernel path this build contains must be reached by some test on
// any machine: the dense path of each kernel in builtKernels, its
// zero-skipping variant and its hand-over to another kernel's. Kernels the
// CPU lacks run in the interpreter of their assembly (emu_amd64_test.go),
// under their own name. TestMain records the plan of every product (the
// planned hook in gemm.go) and, after a whole run (no -run or -skip
// filter), fails if a path was never taken.

// planKey is one path: the kernel asked for, the one that ran, skipping or
// not (names, so that the map of a warm run does not allocate: the
// allocation tests run with the hook set).
type planKey struct {
	asked, run string
	skip       bool
}

var (
	reachedMu sync.Mutex
	reached   = map[planKey]int{}
)

// pathName is the name of a kernel as the coverage check counts it: test
// variants ("+gopack", "+counted", "-emulated") count for the kernel they
// wrap.
func pathName(k *kernel) string {
	name := k.name
	if i := strings.IndexAny(name, "+"); i >= 0 {
		name = name[:i]
	}
	return strings.TrimSuffix(name, "-emulated")
}

func recordPlan(asked, run *kernel, skip bool) {
	k := planKey{pathName(asked), pathName(run), skip}
	reachedMu.Lock()
	reached[k]++
	reachedMu.Unlock()
}

// paths turns the recorded plans into path names: "K" (dense), "K/skip"
// and "K→W" (a hand-over from K to W).
func paths() map[string]int {
	reachedMu.Lock()
	defer reachedMu.Unlock()
	ps := map[string]int{}
	for k, n := range reached {
		p := k.run
		if k.skip {
			p += "/skip"
		}
		ps[p] += n
		if k.asked != k.run {
			h := k.asked + "→" + k.run
			if k.skip {
				h += "/skip"
			}
			ps[h] += n
		}
	}
	return ps
}

// requiredPaths lists the paths a whole run must reach on this machine:
// each built kernel's dense path, its skipping variant and its hand-over.
// A skipping variant runs natively or in the interpreter (amd64's); a
// hand-over runs only to a native kernel, so a CPU without it cannot reach
// it: those are listed in unreachable instead.
func requiredPaths() (required, unreachable []string) {
	list := func(ok bool, path string) {
		if ok {
			required = append(required, path)
		} else {
			unreachable = append(unreachable, path)
		}
	}
	for _, k := range builtKernels {
		// A kernel the CPU lacks runs in an interpreter where there is one
		// (amd64); elsewhere (NEON switched off with GODEBUG) it cannot run,
		// and neither can anything that starts from it.
		runs := k.native || canEmulate(k)
		list(runs, k.name)
		if k.skip != nil {
			list(k.native || canEmulateSkip(k), k.name+"/skip")
		}
		if w := k.skipWith; w != nil {
			list(runs && w.native, k.name+"→"+w.name+"/skip")
		}
		for _, w := range k.alts {
			list(runs && (w.native || canEmulate(w)), k.name+"→"+w.name)
		}
	}
	return required, unreachable
}

// checkPaths returns the required paths no test reached.
func checkPaths() []string {
	required, _ := requiredPaths()
	reached := paths()
	var missed []string
	for _, p := range required {
		if reached[p] == 0 {
			missed = append(missed, p)
		}
	}
	return missed
}

// wholeRun reports whether the test binary ran every test (no filter).
func wholeRun() bool {
	for _, name := range []string{"test.run", "test.skip", "test.list"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return true
}

func TestMain(m *testing.M) {
	planned = recordPlan
	code := m.Run()
	if code == 0 && wholeRun() {
		if missed := checkPaths(); len(missed) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: kernel paths reached by no test: %s\n", strings.Join(missed, ", "))
			code = 1
		} else if testing.Verbose() {
			var list []string
			for p, n := range paths() {
				list = append(list, fmt.Sprintf("%s (%d)", p, n))
			}
			slices.Sort(list)
			_, unreachable := requiredPaths()
			fmt.Printf("kernel paths reached: %s; not reachable on this CPU: %v\n", strings.Join(list, ", "), unreachable)
		}
	}
	os.Exit(code)
}

// TestRequiredPaths pins the list of paths for the kernels of this build,
// so a new kernel, variant or hand-over joins the coverage check.
func TestRequiredPaths(t *testing.T) {
	required, unreachable := requiredPaths()
	all := append(append([]string(nil), required...), unreachable...)
	for _, k := range builtKernels {
		if !slices.Contains(all, k.name) {
			t.Errorf("%s: dense path not listed", k.name)
		}
		if k.skip != nil && !slices.Contains(all, k.name+"/skip") {
			t.Errorf("%s: skipping path not listed", k.name)
		}
		if k.native && !slices.Contains(required, k.name) {
			t.Errorf("%s runs on this CPU but its path is not required", k.name)
		}
	}
	if !slices.Contains(required, goKernel.name) || !slices.Contains(required, goKernel.name+"/skip") {
		t.Errorf("the Go kernel's paths must be required everywhere: %v", required)
	}
}
