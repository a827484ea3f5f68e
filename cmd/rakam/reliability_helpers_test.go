package main

// The reliability audit: every command against bad input. Each case checks
//
//   - the exit code (0 ok, 1 failure, 2 usage error, 130 interrupted);
//   - that the error is one line ("rakam CMD: ..."; a usage error adds the
//     line "Run 'rakam CMD --help' for usage.") naming the file, field or
//     flag at fault, with no panic or goroutine trace;
//   - that nothing half-written is left: no temporary files anywhere in the
//     fixture and no output file in the case's output directory;
//   - where a header declares a huge size, that the run allocated little
//     (runtime.MemStats.TotalAlloc).
//
// Cases marked with bug are defects this audit found and that were fixed
// (docs/reliability.md lists them); if one comes back, the case fails with
// the defect's description.
//
// The fixtures are small subsets of the real MNIST (the first 1200 training
// and 500 test images), written as IDX files into a temporary directory, so
// that training cases take a fraction of a second.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/internal/testbad"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/study"
)

// Sizes of the MNIST subsets the reliability tests train and test on.
const (
	relTrainN = 1200
	relTestN  = 500
	relVal    = "200"
)

// relBombExpands is how much each gzip bomb of relGzipBombs decompresses to.
const relBombExpands = int64(128 << 20)

// relSets holds the MNIST subsets of the reliability tests.
type relSets struct {
	train, test *mnist.Set
}

// relLoadMNIST loads the first relTrainN training and relTestN test images
// of the real MNIST, once for the whole test binary.
var relLoadMNIST = sync.OnceValues(func() (relSets, error) {
	dir, err := mnist.Locate("")
	if err != nil {
		return relSets{}, err
	}
	tr, err := mnist.LoadTrain(dir)
	if err != nil {
		return relSets{}, err
	}
	te, err := mnist.LoadTest(dir)
	if err != nil {
		return relSets{}, err
	}
	return relSets{train: testbad.Head(tr, relTrainN), test: testbad.Head(te, relTestN)}, nil
})

// relMNIST returns the first relTrainN training and relTestN test images
// of the real MNIST, loaded once; it skips the test when MNIST is missing.
// The sets are shared: callers must not change them.
func relMNIST(t *testing.T) (*mnist.Set, *mnist.Set) {
	t.Helper()
	s, err := relLoadMNIST()
	if err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	return s.train, s.test
}

// relMakeGzipBombs builds the two bombs of relGzipBombs, once.
var relMakeGzipBombs = sync.OnceValues(func() (matching, small []byte) {
	return testbad.GzipBomb(relTrainN, relBombExpands), testbad.GzipBomb(10, relBombExpands)
})

// relGzipBombs returns two gzip bombs for the training images: one whose
// header declares relTrainN images (matching the labels) and one declaring
// 10, both decompressing to 128 MiB. The slices are shared: callers must
// not change them.
func relGzipBombs() (matching, small []byte) {
	return relMakeGzipBombs()
}

// relFixture is a directory of good and bad inputs shared by the cases of
// one test. Paths in case arguments are written with placeholders:
//
//	{mn}     good MNIST subset        {data:NAME}  a bad copy of it
//	{model}  good model file          {bad:NAME}   a bad model file
//	{img}    a good digit image       {image:NAME} a bad image
//	{file}   a regular file (so {file}/sub can never be created)
//	{w}      the case's own, initially empty, output directory
type relFixture struct {
	root  string
	model string
}

func newRelFixture(t *testing.T) *relFixture {
	t.Helper()
	tr, te := relMNIST(t)
	f := &relFixture{root: t.TempDir()}
	for _, d := range []string{"mn", "data", "bad", "image", "w"} {
		if err := os.MkdirAll(filepath.Join(f.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := testbad.WriteMNIST(filepath.Join(f.root, "mn"), tr, te); err != nil {
		t.Fatal(err)
	}
	relWrite(t, filepath.Join(f.root, "file"), []byte("a regular file, not a directory\n"))
	// A model of the zoo's baseline with random weights: the bad-model
	// cases need its format, not its accuracy.
	z, err := study.ZooByName("baseline-adam")
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Build(z.Spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	f.model = filepath.Join(f.root, "model.safetensors")
	if err := nn.Save(f.model, m, map[string]string{"rakam.name": "baseline-adam"}); err != nil {
		t.Fatal(err)
	}
	relWrite(t, filepath.Join(f.root, "digit.png"), relDigitPNG(te.Image(0), 3))
	return f
}

func relWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// relDigitPNG draws a 28x28 MNIST image as a black-on-white PNG scaled up,
// as a user's scan would be.
func relDigitPNG(pix []uint8, scale int) []byte {
	img := image.NewGray(image.Rect(0, 0, 28*scale, 28*scale))
	for y := range 28 * scale {
		for x := range 28 * scale {
			img.SetGray(x, y, color.Gray{255 - pix[(y/scale)*28+x/scale]})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// dataDir makes {data:name}: a copy of the good subset with the files in
// replace put in place (a nil value removes the file, raw and .gz).
func (f *relFixture) dataDir(t *testing.T, name string, replace map[string][]byte) {
	t.Helper()
	dir := filepath.Join(f.root, "data", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, base := range mnist.Files {
		b, err := os.ReadFile(filepath.Join(f.root, "mn", base))
		if err != nil {
			t.Fatal(err)
		}
		relWrite(t, filepath.Join(dir, base), b)
	}
	for name, b := range replace {
		base := strings.TrimSuffix(name, ".gz")
		os.Remove(filepath.Join(dir, base))
		if b != nil {
			relWrite(t, filepath.Join(dir, name), b)
		}
	}
}

func (f *relFixture) mnFile(t *testing.T, base string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.root, "mn", base))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// expand replaces the placeholders of one argument.
func (f *relFixture) expand(arg, w string) string {
	r := strings.NewReplacer(
		"{mn}", filepath.Join(f.root, "mn"),
		"{model}", f.model,
		"{img}", filepath.Join(f.root, "digit.png"),
		"{file}", filepath.Join(f.root, "file"),
		"{w}", w,
		"{data:", filepath.Join(f.root, "data")+string(filepath.Separator),
		"{bad:", filepath.Join(f.root, "bad")+string(filepath.Separator),
		"{image:", filepath.Join(f.root, "image")+string(filepath.Separator),
	)
	s := r.Replace(arg)
	// The three prefixed forms end with "}".
	if strings.Contains(arg, "{data:") || strings.Contains(arg, "{bad:") || strings.Contains(arg, "{image:") {
		s = strings.Replace(s, "}", "", 1)
	}
	return s
}

// relCase is one bad input given to one command.
type relCase struct {
	name string
	args []string
	code int
	// want are substrings of the error line (the last "rakam ..." line):
	// the file, field or flag at fault.
	want []string
	// progress allows lines before the error (scratch has no --quiet).
	progress bool
	// lines is the number of stderr lines expected when more than the
	// default (1 for a failure, 2 for a usage error).
	lines int
	// keep lists files (globs relative to {w}) the case may leave in {w}.
	keep []string
	// maxAlloc, when set, bounds the bytes the run may allocate.
	maxAlloc uint64
	// cancel runs the command with an already cancelled context, as after
	// Ctrl-C.
	cancel bool
	// check, when set, runs after the standard checks.
	check func(t *testing.T, w string, stdout, stderr string)
	// bug, when set, names a known defect (see the package comment).
	bug string
}

// relPanicRE matches what a panic or a runtime trace prints.
var relPanicRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`panic|goroutine \d|internal error|runtime error|\.go:\d+`)
})

// relPanicked reports whether s shows a panic or a runtime trace.
func relPanicked(s string) bool { return relPanicRE().MatchString(s) }

// runRelCases runs each case in its own subtest.
func runRelCases(t *testing.T, f *relFixture, cases []relCase) {
	t.Helper()
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("two cases named %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			w := filepath.Join(f.root, "w", strings.NewReplacer("/", "_", " ", "_").Replace(tc.name))
			if err := os.MkdirAll(w, 0o755); err != nil {
				t.Fatal(err)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = f.expand(a, w)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if tc.cancel {
				cancel()
			}
			var stdout, stderr bytes.Buffer
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			code := run(ctx, args, strings.NewReader(""), &stdout, &stderr)
			runtime.ReadMemStats(&after)
			probs := relProblems(tc, code, stderr.String())
			if tc.maxAlloc > 0 {
				got := after.TotalAlloc - before.TotalAlloc
				t.Logf("allocated %d KiB", got>>10)
				if got > tc.maxAlloc {
					probs = append(probs, fmt.Sprintf("allocated %d MB; want at most %d MB", got>>20, tc.maxAlloc>>20))
				}
			}
			probs = append(probs, relLeftovers(f.root, w, tc.keep)...)
			cmd := "rakam " + strings.Join(args, " ")
			t.Logf("exit %d: %s", code, strings.TrimSpace(relHead(stderr.String(), 3)))
			if len(probs) > 0 {
				msg := fmt.Sprintf("%s\n  exit %d, stderr:\n%s  problems:\n    %s", cmd, code, relIndent(stderr.String()), strings.Join(probs, "\n    "))
				if tc.bug != "" {
					// A defect the audit found and that was fixed has come back.
					msg = "regression of a fixed defect: " + tc.bug + "\n" + msg
				}
				t.Error(msg)
				return
			}
			if tc.check != nil {
				tc.check(t, w, stdout.String(), stderr.String())
			}
		})
	}
}

func relIndent(s string) string {
	if s == "" {
		return "    (empty)\n"
	}
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}

// relProblems checks the exit code and the shape of stderr.
func relProblems(tc relCase, code int, stderr string) []string {
	var p []string
	if code != tc.code {
		p = append(p, fmt.Sprintf("exit %d; want %d", code, tc.code))
	}
	if relPanicked(stderr) {
		p = append(p, "stderr shows a panic or a trace")
	}
	if tc.code == exitOK {
		return p
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if stderr == "" {
		return append(p, "stderr is empty; want an error line")
	}
	errLine := lines[len(lines)-1]
	wantLines := tc.lines
	if tc.code == exitUsage {
		if len(lines) >= 2 && strings.HasPrefix(lines[len(lines)-1], "Run 'rakam ") {
			errLine = lines[len(lines)-2]
		}
		if wantLines == 0 {
			wantLines = 2
			if strings.HasPrefix(errLine, "rakam: unknown command") {
				wantLines = 1
			}
		}
	} else if wantLines == 0 {
		wantLines = 1
	}
	switch {
	case tc.progress:
		for _, l := range lines[:len(lines)-1] {
			if strings.HasPrefix(l, "rakam ") {
				p = append(p, fmt.Sprintf("more than one error line: %q", l))
			}
		}
	case len(lines) != wantLines:
		p = append(p, fmt.Sprintf("stderr has %d lines; want %d", len(lines), wantLines))
	}
	if !strings.HasPrefix(errLine, "rakam") {
		p = append(p, fmt.Sprintf("error line %q does not start with \"rakam\"", errLine))
	}
	for _, w := range tc.want {
		if !strings.Contains(errLine, w) {
			p = append(p, fmt.Sprintf("error line does not name %q", w))
		}
	}
	return p
}

// relLeftovers reports temporary files anywhere under root and any file
// in w that keep does not allow.
func relLeftovers(root, w string, keep []string) []string {
	var p []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if strings.Contains(name, ".tmp-") || strings.HasPrefix(name, ".rakam-write-test") {
			p = append(p, "temporary file left: "+path)
		}
		if d.Type().IsRegular() && strings.HasPrefix(path, w+string(filepath.Separator)) {
			rel, _ := filepath.Rel(w, path)
			ok := false
			for _, k := range keep {
				if m, _ := filepath.Match(k, rel); m {
					ok = true
				}
			}
			if !ok {
				p = append(p, "output left behind: "+rel)
			}
		}
		return nil
	})
	return p
}

// relDataCommand is a command that reads MNIST, with the flags that keep
// a run small and its outputs inside {w}. DATA is replaced by the data
// directory.
type relDataCommand struct {
	name     string
	args     []string
	testOnly bool // reads only the test set
}

// relDataCommands returns the commands that read MNIST (a new slice on
// each call).
func relDataCommands() []relDataCommand {
	return []relDataCommand{
		{name: "train", args: []string{"train", "--model", "baseline-adam", "--data", "DATA", "--val", relVal, "--epochs", "1", "--quiet",
			"--out", "{w}/m.safetensors", "--checkpoint-dir", "{w}/ck"}},
		{name: "scratch", args: []string{"scratch", "--data", "DATA", "--val", relVal, "--epochs", "1", "--out", "{w}/s.safetensors"}},
		{name: "eval", args: []string{"eval", "--data", "DATA", "{model}"}, testOnly: true},
		{name: "data-info", args: []string{"data", "info", "--data", "DATA"}},
		{name: "search", args: []string{"search", "--data", "DATA", "--val", relVal, "--trials", "1", "--epochs", "1", "--quiet"}},
		{name: "compare", args: []string{"compare", "--quick", "--data", "DATA", "--val", relVal, "--quiet", "--out", "{w}/cmp"}},
	}
}

func relWithData(args []string, dir string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if a == "DATA" {
			out[i] = dir
		}
	}
	return out
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
