package study

import (
	"context"
	"fmt"
	"io"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// laneHead names the recipe that heads the study's first lane: the second
// augmented cnn, 20 epochs, and cnn-real, which fine-tunes it. Everything
// else of the plan but the solo recipes trains in the second lane, in plan
// order: the MLPs, cnn, cnn-augment (the other 20 epochs) and the schedule
// and early-stopping rows. On two cores the lanes take about the same
// time, one core each (the study at `c445f58` on Zen 3: the second lane
// done about 408 s in, the first 420 s).
//
// Why lanes: the cnn's layers leave the second core idle part of the time,
// so two single-threaded trainings finish sooner than the same two
// trainings one after another on two threads (two 1-epoch augmented cnn
// trainings side by side 22.2 s, one on two threads 13.8 s; 2026-11-27).
// The augmented pair had trained side by side since then; the rest of the
// plan (MLPs, cnn, cnn-fast, cnn-real, the schedule and early-stopping
// rows) ran one model after another on both cores. Trained as two
// processes of `rakam compare --only` (GOMAXPROCS=1), cnn-real in one and
// the rest in the other, they took 99 s where one process on two cores
// took 122 s (AMD EPYC Zen 3, 2 cores, 2026-12-07). Results do not change:
// the kernels give the same bits whatever the thread count
// (TestLanesMatchSequential).
const laneHead = rowCNNAugment2

// solo names the recipes Compare trains before the lanes, one after
// another on every core: cnn-fast, whose row shows the study's shortest
// training to 99 % and should time it on the whole machine (5.6 s on two
// threads, 9.4 s on one beside the other lane; AMD EPYC Zen 3, 2026-12-07).
var solo = map[string]bool{rowCNNFast: true}

// splitLanes returns the plan's recipes as Compare trains them on cores
// CPUs: first, one after another on every core, the solo recipes; then the
// lanes, side by side. With two cores or more the lanes are the chain that
// laneHead heads (laneHead and every recipe that fine-tunes a model of the
// chain, so no lane waits for another) and the rest, each in plan order;
// with one core, or without laneHead, there are no solo recipes and one
// lane, the plan. The chain comes first: it is the longer, and its lane
// shows the progress bar.
func splitLanes(plan []Recipe, cores int) (first []Recipe, lanes [][]Recipe) {
	if cores < 2 {
		return nil, [][]Recipe{plan}
	}
	chain := map[string]bool{}
	var head, rest []Recipe
	for _, r := range plan {
		switch {
		case r.Name == laneHead || (r.Init != "" && chain[r.Init]):
			chain[r.Name] = true
			head = append(head, r)
		case solo[r.Name]:
			first = append(first, r)
		default:
			rest = append(rest, r)
		}
	}
	if len(head) == 0 || len(rest) == 0 {
		return nil, [][]Recipe{plan}
	}
	// A recipe outside the chain that fine-tunes one of it would train
	// its model a second time (initFor): keep the plan whole instead.
	for _, r := range append(slices.Clip(first), rest...) {
		if r.Init != "" && chain[r.Init] {
			return nil, [][]Recipe{plan}
		}
	}
	return first, [][]Recipe{head, rest}
}

// describeLanes lists the lanes' recipes for the study's log:
// "cnn-augment-seed2, cnn-real | baseline-adam, ...".
func describeLanes(lanes [][]Recipe) string {
	var parts []string
	for _, l := range lanes {
		var names []string
		for _, r := range l {
			names = append(names, r.Name)
		}
		parts = append(parts, strings.Join(names, ", "))
	}
	return strings.Join(parts, " | ")
}

// timingNote says, for the report, how the "train s" column was measured
// when Compare trains first and then lanes on cores CPUs.
func timingNote(first []Recipe, lanes [][]Recipe, cores int) string {
	if len(lanes) < 2 {
		return fmt.Sprintf("wall time of each model's training, one model after another with %d thread(s); the search's trials %d at a time.", max(cores, 1), max(cores, 1))
	}
	var alone []string
	for _, r := range first {
		alone = append(alone, r.Name)
	}
	return fmt.Sprintf("wall time of each model's training. %s alone, one after another, with %d threads; "+
		"the others in %d lanes side by side, %d thread(s) each (%s), so their times are those of a share of the machine "+
		"while the other lane trains; the search's trials on one thread each, on each lane's share as the lane finishes.",
		strings.Join(append([]string{rowScratch}, alone...), " and "), cores, len(lanes), laneThreads(cores, len(lanes)), describeLanes(lanes))
}

// laneThreads is each lane's thread budget when n lanes share cores CPUs:
// an equal share, at least one.
func laneThreads(cores, n int) int { return max(1, cores/n) }

// laneHooks are what trainLanes reports: start before a recipe trains (or
// loads), done after, with its model already a replica. Either may be
// nil; with several lanes they are called from the lanes' goroutines.
// finished, too, when set.
type laneHooks struct {
	start    func(Recipe)
	done     func(*Trained)
	finished func(lane int) // after the lane's last recipe, if it did not fail
}

// trainLanes trains (or loads) every recipe of lanes and returns them by
// name. One lane runs on the calling goroutine with the default thread
// budget; several run at the same time, each on an equal share of
// GOMAXPROCS (at least one thread), with only the first showing cfg's
// progress bar. A recipe's Init must be trained earlier in its own lane
// (splitLanes sees to it), be among before (models trained already, which
// trainLanes only reads), or be no recipe of lanes, in which case initFor
// trains or loads it. The first failure (a diverging run, say) cancels the
// other lanes at once and is the error returned.
func trainLanes(ctx context.Context, cfg CompareConfig, lanes [][]Recipe, before map[string]*Trained, d *Data, dir string, hooks laneHooks) (map[string]*Trained, error) {
	var plan []Recipe
	for _, l := range lanes {
		plan = append(plan, l...)
	}
	var mu sync.Mutex
	out := map[string]*Trained{}
	run := func(ctx context.Context, cfg CompareConfig, lane []Recipe, threads int) error {
		trained := maps.Clone(before) // the lane's own: initFor reads and adds to it
		if trained == nil {
			trained = map[string]*Trained{}
		}
		for _, r := range lane {
			if hooks.start != nil {
				hooks.start(r)
			}
			if r.Init != "" && trained[r.Init] == nil && slices.ContainsFunc(plan, func(p Recipe) bool { return p.Name == r.Init }) {
				// initFor would train it a second time, perhaps while
				// another lane trains it.
				return fmt.Errorf("study: %s fine-tunes %s, which its lane has not trained before it", r.Name, r.Init)
			}
			init, err := initFor(ctx, cfg, r, d, dir, plan, trained)
			if err != nil {
				return err
			}
			t, err := trainOrLoad(ctx, cfg, r, d, dir, threads, init)
			if err != nil {
				return err
			}
			// Keep the weights, drop the layers' buffers (activations,
			// im2col patches, gradients) sized for the last batch: the
			// study holds every model to the end, and with their buffers
			// the CNNs alone took hundreds of megabytes (peak RSS 1.14
			// GiB). What follows (ensembles, the report) runs one model at
			// a time, on every core.
			t.Model = t.Model.Replica()
			t.Model.SetThreads(0)
			trained[r.Name] = t
			mu.Lock()
			out[r.Name] = t
			mu.Unlock()
			if hooks.done != nil {
				hooks.done(t)
			}
		}
		return nil
	}
	runLane := func(ctx context.Context, cfg CompareConfig, i, threads int) error {
		if err := run(ctx, cfg, lanes[i], threads); err != nil {
			return err
		}
		if hooks.finished != nil {
			hooks.finished(i)
		}
		return nil
	}
	if len(lanes) == 1 {
		return out, runLane(ctx, cfg, 0, 0)
	}
	threads := laneThreads(runtime.GOMAXPROCS(0), len(lanes))
	g, gctx := errgroup.WithContext(ctx)
	for i := range lanes {
		c := cfg
		if i > 0 {
			c.Progress = nil // one bar on the terminal
		}
		g.Go(func() error { return runLane(gctx, c, i, threads) })
	}
	err := g.Wait()
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// console serialises the study's log lines (written from the lanes'
// goroutines) and, when the progress bar goes to the same writer (a
// terminal), clears a half-drawn bar line before a log line: the bar
// redraws itself on the next line within 100 ms.
type console struct {
	mu  sync.Mutex
	log io.Writer // nil: no log
	pw  io.Writer // the progress bar's writer; nil: none
	mid bool      // the last write to log was a bar line not ended by a newline
}

func newConsole(log, progress io.Writer) *console {
	return &console{log: log, pw: progress}
}

// bar returns the writer the progress bar should use: the console itself
// when it shares the log's writer, else the bar's own writer (or nil).
func (c *console) bar() io.Writer {
	if c.pw == nil {
		return nil
	}
	if sameWriter(c.pw, c.log) {
		return barWriter{c}
	}
	return c.pw
}

// logf writes one log line.
func (c *console) logf(format string, a ...any) {
	if c.log == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mid {
		io.WriteString(c.log, "\r\x1b[K")
		c.mid = false
	}
	fmt.Fprintf(c.log, format+"\n", a...)
}

// barWriter is the progress bar's side of a console.
type barWriter struct{ c *console }

func (b barWriter) Write(p []byte) (int, error) {
	b.c.mu.Lock()
	defer b.c.mu.Unlock()
	n, err := b.c.log.Write(p)
	if len(p) > 0 {
		b.c.mid = p[len(p)-1] != '\n'
	}
	return n, err
}

// sameWriter reports whether a and b are the same writer (comparing only
// values of a comparable type, so a writer of another kind never panics).
func sameWriter(a, b io.Writer) bool {
	if a == nil || b == nil {
		return false
	}
	ta := reflect.TypeOf(a)
	return ta == reflect.TypeOf(b) && ta.Comparable() && a == b
}
