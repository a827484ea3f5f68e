package par

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countTask records which parts ran and how many ran at once.
type countTask struct {
	runs     []atomic.Int32
	inFlight atomic.Int32
	peak     atomic.Int32
	work     func(p int)
}

func (c *countTask) Part(p int) {
	n := c.inFlight.Add(1)
	for {
		old := c.peak.Load()
		if n <= old || c.peak.CompareAndSwap(old, n) {
			break
		}
	}
	c.runs[p].Add(1)
	if c.work != nil {
		c.work(p)
	}
	c.inFlight.Add(-1)
}

// TestDoRunsEveryPartOnce checks that every part runs exactly once and
// never on more goroutines than the budget, for budgets and part counts
// around the edges (none, one, more threads than parts).
func TestDoRunsEveryPartOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		for _, n := range []int{0, 1, 2, 7, 64, 1000} {
			c := &countTask{runs: make([]atomic.Int32, n)}
			c.work = func(int) {
				for i := 0; i < 200; i++ {
					runtime.Gosched()
				}
			}
			Do(threads, n, c)
			for p := range c.runs {
				if r := c.runs[p].Load(); r != 1 {
					t.Fatalf("threads %d, %d parts: part %d ran %d times", threads, n, p, r)
				}
			}
			if pk := int(c.peak.Load()); pk > threads {
				t.Errorf("threads %d, %d parts: %d parts ran at once", threads, n, pk)
			}
		}
	}
}

// TestDoUsesTheBudget checks that a budget of two really runs two parts at
// once: each part waits for the other to start, which a serial loop would
// never see.
func TestDoUsesTheBudget(t *testing.T) {
	for range 20 {
		var started sync.WaitGroup
		started.Add(2)
		var timedOut atomic.Bool
		c := &countTask{runs: make([]atomic.Int32, 2)}
		c.work = func(int) {
			started.Done()
			done := make(chan struct{})
			go func() { started.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				timedOut.Store(true)
			}
		}
		Do(2, 2, c)
		if timedOut.Load() {
			t.Fatal("two parts with a budget of two never ran at the same time")
		}
	}
}

// TestDoNested checks that a Do started inside a part (a GEMM inside a
// layer's pass) runs on its caller instead of waiting for the busy workers.
func TestDoNested(t *testing.T) {
	outer := &countTask{runs: make([]atomic.Int32, 4)}
	var inner [4]*countTask
	outer.work = func(p int) {
		inner[p] = &countTask{runs: make([]atomic.Int32, 5)}
		Do(2, 5, inner[p])
	}
	Do(2, 4, outer)
	for p, c := range inner {
		for q := range c.runs {
			if r := c.runs[q].Load(); r != 1 {
				t.Fatalf("inner call %d: part %d ran %d times", p, q, r)
			}
		}
		if pk := c.peak.Load(); pk != 1 {
			t.Errorf("inner call %d ran %d parts at once; want 1 (the workers are the outer call's)", p, pk)
		}
	}
}

// TestDoConcurrentCallers runs calls from several goroutines at once: one
// owns the workers, the others run their parts themselves.
func TestDoConcurrentCallers(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				c := &countTask{runs: make([]atomic.Int32, 9)}
				Do(3, 9, c)
				for p := range c.runs {
					if r := c.runs[p].Load(); r != 1 {
						t.Errorf("part %d ran %d times", p, r)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

type nopTask struct{ sum *atomic.Int64 }

func (n nopTask) Part(p int) { n.sum.Add(int64(p)) }

func TestDoAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	var s atomic.Int64
	task := nopTask{&s}
	Do(2, 16, task)
	if a := testing.AllocsPerRun(100, func() { Do(2, 16, task) }); a != 0 {
		t.Errorf("Do allocates %v times per call; want 0", a)
	}
}

func TestDefault(t *testing.T) {
	defer SetDefault(Default())
	SetDefault(3)
	if Default() != 3 || Resolve(0) != 3 || Resolve(5) != 5 {
		t.Fatalf("Default %d, Resolve(0) %d, Resolve(5) %d; want 3, 3, 5", Default(), Resolve(0), Resolve(5))
	}
	SetDefault(0)
	if Default() != runtime.GOMAXPROCS(0) {
		t.Fatalf("SetDefault(0): Default() = %d; want GOMAXPROCS %d", Default(), runtime.GOMAXPROCS(0))
	}
}

// TestLibrariesPassBudgets checks the rule that library code never changes
// the process-wide thread default: only commands (package main) and tests
// may call tensor.SetThreads, gemm's SetThreads or par.SetDefault.
// Libraries pass a budget (GemmThreads, nn.Sequential.SetThreads).
func TestLibrariesPassBudgets(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn := ""
			switch e := call.Fun.(type) {
			case *ast.SelectorExpr:
				fn = e.Sel.Name
			case *ast.Ident:
				fn = e.Name
			}
			if fn == "SetThreads" || fn == "SetDefault" {
				// Sequential.SetThreads sets a model's own budget, and the
				// wrappers below pass the default on: allowed.
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && (x.Name == "tensor" || x.Name == "par" || x.Name == "blocked" || x.Name == "gemm") {
						if !allowedSetter(path) {
							t.Errorf("%s: library code calls %s.%s; pass a thread budget instead", fset.Position(call.Pos()), x.Name, fn)
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// allowedSetter: the functions that are the process-wide setting itself.
func allowedSetter(path string) bool {
	p := filepath.ToSlash(path)
	return strings.HasSuffix(p, "tensor/gemm_blocked.go") || strings.HasSuffix(p, "tensor/internal/gemm/pool.go")
}
