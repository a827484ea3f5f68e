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
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/internal/testbad"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/study"
	"github.com/rakam-ml/rakam/tensor"
	"github.com/rakam-ml/rakam/train"
)

// Sizes of the MNIST subsets the reliability tests train and test on.
const (
	relTrainN = 1200
	relTestN  = 500
	relVal    = "200"
)

var (
	relOnce        sync.Once
	relTrain       *mnist.Set
	relTest        *mnist.Set
	relErr         error
	relBombOnce    sync.Once
	relBomb        []byte
	relBombOver    []byte
	relBombExpands = int64(128 << 20)
)

// relMNIST returns the first relTrainN training and relTestN test images
// of the real MNIST, loaded once.
func relMNIST(t *testing.T) (*mnist.Set, *mnist.Set) {
	t.Helper()
	relOnce.Do(func() {
		dir, err := mnist.Locate("")
		if err != nil {
			relErr = err
			return
		}
		tr, err := mnist.LoadTrain(dir)
		if err != nil {
			relErr = err
			return
		}
		te, err := mnist.LoadTest(dir)
		if err != nil {
			relErr = err
			return
		}
		relTrain, relTest = testbad.Head(tr, relTrainN), testbad.Head(te, relTestN)
	})
	if relErr != nil {
		t.Skipf("MNIST not found: %v", relErr)
	}
	return relTrain, relTest
}

// relGzipBombs returns two gzip bombs for the training images: one whose
// header declares relTrainN images (matching the labels) and one declaring
// 10, both decompressing to 128 MiB.
func relGzipBombs() (matching, small []byte) {
	relBombOnce.Do(func() {
		relBomb = testbad.GzipBomb(relTrainN, relBombExpands)
		relBombOver = testbad.GzipBomb(10, relBombExpands)
	})
	return relBomb, relBombOver
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

var relPanicRE = regexp.MustCompile(`panic|goroutine \d|internal error|runtime error|\.go:\d+`)

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
	if relPanicRE.MatchString(stderr) {
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

// The commands that read MNIST, with the flags that keep a run small and
// its outputs inside {w}. DATA is replaced by the data directory.
var relDataCommands = []struct {
	name     string
	args     []string
	testOnly bool // reads only the test set
	progress bool
}{
	{name: "train", args: []string{"train", "--model", "baseline-adam", "--data", "DATA", "--val", relVal, "--epochs", "1", "--quiet",
		"--out", "{w}/m.safetensors", "--checkpoint-dir", "{w}/ck"}},
	{name: "scratch", args: []string{"scratch", "--data", "DATA", "--val", relVal, "--epochs", "1", "--out", "{w}/s.safetensors"}},
	{name: "eval", args: []string{"eval", "--data", "DATA", "{model}"}, testOnly: true},
	{name: "data-info", args: []string{"data", "info", "--data", "DATA"}},
	{name: "search", args: []string{"search", "--data", "DATA", "--val", relVal, "--trials", "1", "--epochs", "1", "--quiet"}},
	{name: "compare", args: []string{"compare", "--quick", "--data", "DATA", "--val", relVal, "--quiet", "--out", "{w}/cmp"}},
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

// TestReliabilityBadData gives every command that reads MNIST damaged IDX
// files: truncated, wrong magic, lying headers, gzip bombs, bad labels.
func TestReliabilityBadData(t *testing.T) {
	f := newRelFixture(t)
	trainImg := f.mnFile(t, mnist.TrainImagesFile)
	trainLab := f.mnFile(t, mnist.TrainLabelsFile)
	testImg := f.mnFile(t, mnist.TestImagesFile)
	const small = 8 << 20 // far below what the lying headers declare (784 MB to 4 GB)
	badMagic := slices.Clone(trainImg)
	badMagic[3] = 0x02
	badLabel := slices.Clone(trainLab)
	badLabel[8+17] = 10
	gz := testbad.Gzip(trainImg)
	corruptGz := slices.Clone(gz)
	corruptGz[len(gz)/2] ^= 0xff
	bomb, bombSmall := relGzipBombs()
	notSquare := append(testbad.IDXImagesHeader(relTrainN, 27, 28), make([]byte, relTrainN*27*28)...)

	type badData struct {
		name     string
		replace  map[string][]byte
		want     []string
		testSet  bool // the damage is in the test set
		maxAlloc uint64
	}
	kinds := []badData{
		{name: "truncated", replace: map[string][]byte{mnist.TrainImagesFile: trainImg[:1000]},
			want: []string{"train-images-idx3-ubyte", "truncated"}},
		{name: "truncated-test", replace: map[string][]byte{mnist.TestImagesFile: testImg[:len(testImg)-1]},
			want: []string{"t10k-images-idx3-ubyte", "truncated"}, testSet: true},
		{name: "truncated-gzip", replace: map[string][]byte{mnist.TrainImagesFile + ".gz": gz[:len(gz)/2]},
			want: []string{"train-images-idx3-ubyte.gz"}},
		{name: "corrupt-gzip", replace: map[string][]byte{mnist.TrainImagesFile + ".gz": corruptGz},
			want: []string{"train-images-idx3-ubyte.gz"}},
		{name: "empty", replace: map[string][]byte{mnist.TrainImagesFile: {}},
			want: []string{"train-images-idx3-ubyte", "truncated"}},
		{name: "wrong-magic", replace: map[string][]byte{mnist.TrainImagesFile: badMagic},
			want: []string{"train-images-idx3-ubyte", "magic"}},
		{name: "labels-as-images", replace: map[string][]byte{mnist.TrainImagesFile: trainLab},
			want: []string{"train-images-idx3-ubyte", "magic", "label file"}},
		{name: "huge-header", maxAlloc: small,
			replace: map[string][]byte{mnist.TrainImagesFile: append(testbad.IDXImagesHeader(1_000_000, 28, 28), trainImg[16:]...)},
			want:    []string{"train-images-idx3-ubyte", "1000000 images"}},
		{name: "huge-header-over-limit", maxAlloc: small,
			replace: map[string][]byte{mnist.TrainImagesFile: testbad.IDXImagesHeader(math.MaxUint32, 28, 28)},
			want:    []string{"train-images-idx3-ubyte", "limit"}},
		{name: "huge-image-size", maxAlloc: small,
			replace: map[string][]byte{mnist.TrainImagesFile: testbad.IDXImagesHeader(1, 1<<16, 1<<16)},
			want:    []string{"train-images-idx3-ubyte", "65536x65536"}},
		{name: "huge-header-gzip", maxAlloc: small,
			replace: map[string][]byte{mnist.TrainImagesFile + ".gz": testbad.Gzip(testbad.IDXImagesHeader(1_000_000, 28, 28))},
			want:    []string{"train-images-idx3-ubyte.gz", "784000000 bytes"}},
		// Incompressible data makes the gzip file large enough to pass the
		// up-front ratio check; memory must then grow only as data arrives.
		{name: "huge-header-gzip-noise", maxAlloc: small,
			replace: map[string][]byte{mnist.TrainImagesFile + ".gz": testbad.Gzip(append(testbad.IDXImagesHeader(1_000_000, 28, 28), relNoise(800_000)...))},
			want:    []string{"train-images-idx3-ubyte.gz", "truncated at byte"}},
		{name: "gzip-bomb", maxAlloc: small, replace: map[string][]byte{mnist.TrainImagesFile + ".gz": bomb},
			want: []string{"train-images-idx3-ubyte.gz", "trailing data"}},
		{name: "gzip-bomb-small-header", maxAlloc: small, replace: map[string][]byte{mnist.TrainImagesFile + ".gz": bombSmall},
			want: []string{"train-images-idx3-ubyte.gz", "trailing data"}},
		{name: "image-not-28x28", replace: map[string][]byte{mnist.TrainImagesFile: notSquare},
			want: []string{"27x28"}},
		{name: "label-out-of-range", replace: map[string][]byte{mnist.TrainLabelsFile: badLabel},
			want: []string{"train-labels-idx1-ubyte", "label 10", "index 17"}},
		{name: "count-mismatch", replace: map[string][]byte{mnist.TrainLabelsFile: relLabels(trainLab, relTrainN-1)},
			want: []string{"train-labels-idx1-ubyte", "1200 images", "1199 labels"}},
		{name: "missing-labels", replace: map[string][]byte{mnist.TrainLabelsFile: nil},
			want: []string{"train-labels-idx1-ubyte", "missing-labels"}},
	}
	var cases []relCase
	for _, k := range kinds {
		f.dataDir(t, k.name, k.replace)
		for _, c := range relDataCommands {
			if c.testOnly && !k.testSet {
				continue
			}
			tc := relCase{name: k.name + "/" + c.name, args: relWithData(c.args, "{data:"+k.name+"}"), code: exitFailure,
				want: k.want}
			if c.name == "train" || c.name == "data-info" {
				tc.maxAlloc = k.maxAlloc
			}
			cases = append(cases, tc)
		}
	}
	// Sets of zero images: well-formed files, but nothing to train on or
	// to score; reported up front, naming the file, not after training.
	var emptyImg, emptyLab bytes.Buffer
	mnist.WriteImages(&emptyImg, nil, 0, 28, 28)
	mnist.WriteLabels(&emptyLab, nil)
	f.dataDir(t, "empty-test-set", map[string][]byte{mnist.TestImagesFile: emptyImg.Bytes(), mnist.TestLabelsFile: emptyLab.Bytes()})
	f.dataDir(t, "empty-train-set", map[string][]byte{mnist.TrainImagesFile: emptyImg.Bytes(), mnist.TrainLabelsFile: emptyLab.Bytes()})
	const emptyBug = "a set of 0 images is accepted when loaded: with an empty test set train, scratch and search train to the end and then fail " +
		"with \"train: Predict: empty set\" (no file named; eval says the same); with an empty training set train says \"--val must be between 0 and -1\"; " +
		"reject 0 images in mnist.LoadTrain/LoadTest (or loadSplits/study.LoadData) naming the file"
	for _, set := range []string{"empty-test-set", "empty-train-set"} {
		file := mnist.TestImagesFile
		if set == "empty-train-set" {
			file = mnist.TrainImagesFile
		}
		d := "{data:" + set + "}"
		cases = append(cases,
			// No --quiet: a progress line would show that training ran.
			relCase{name: set + "/train", args: []string{"train", "--model", "baseline-adam", "--data", d, "--val", "0", "--epochs", "1",
				"--out", "{w}/m.safetensors"}, code: exitFailure, want: []string{file}, bug: emptyBug},
			relCase{name: set + "/scratch", args: []string{"scratch", "--data", d, "--val", "0", "--epochs", "1"}, code: exitFailure,
				want: []string{file}, bug: emptyBug},
			relCase{name: set + "/search", args: []string{"search", "--data", d, "--val", "0", "--trials", "1", "--epochs", "1"},
				code: exitFailure, want: []string{file}, bug: emptyBug},
		)
	}
	cases = append(cases, relCase{name: "empty-test-set/eval", args: []string{"eval", "--data", "{data:empty-test-set}", "{model}"},
		code: exitFailure, want: []string{mnist.TestImagesFile}, bug: emptyBug})
	for _, c := range relDataCommands {
		cases = append(cases,
			relCase{name: "no-such-dir/" + c.name, args: relWithData(c.args, "{w}/nowhere"), code: exitFailure, want: []string{"nowhere"}},
			relCase{name: "data-is-a-file/" + c.name, args: relWithData(c.args, "{file}"), code: exitFailure, want: []string{"file"}})
	}
	runRelCases(t, f, cases)
}

// relNoise returns n pseudo-random bytes (incompressible).
func relNoise(n int) []byte {
	r := rand.New(rand.NewPCG(7, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = uint8(r.Uint32())
	}
	return b
}

// relLabels rewrites a label file to hold its first n labels.
func relLabels(b []byte, n int) []byte {
	var out bytes.Buffer
	mnist.WriteLabels(&out, b[8:8+n])
	return out.Bytes()
}

// TestReliabilityBadModels gives every command that loads a model damaged
// safetensors files.
func TestReliabilityBadModels(t *testing.T) {
	f := newRelFixture(t)
	good, err := os.ReadFile(f.model)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(fn func(s *testbad.Safetensors)) []byte {
		s, err := testbad.ParseSafetensors(good)
		if err != nil {
			t.Fatal(err)
		}
		fn(s)
		return s.Bytes()
	}
	spec := func(fn func(sp *nn.Spec)) []byte {
		return edit(func(s *testbad.Safetensors) {
			meta, err := s.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			sp, err := nn.ParseSpec([]byte(meta[nn.MetaSpec]))
			if err != nil {
				t.Fatal(err)
			}
			fn(&sp)
			meta[nn.MetaSpec] = string(sp.JSON())
			s.SetMetadata(meta)
		})
	}
	// The first tensor's name and shape, as written by nn.Save.
	s0, err := testbad.ParseSafetensors(good)
	if err != nil {
		t.Fatal(err)
	}
	var first string
	var firstHdr struct {
		Shape []int `json:"shape"`
	}
	for name, raw := range s0.Header {
		var h struct {
			DataOffsets []int64 `json:"data_offsets"`
			Shape       []int   `json:"shape"`
		}
		if name != "__metadata__" && json.Unmarshal(raw, &h) == nil && len(h.DataOffsets) == 2 && h.DataOffsets[0] == 0 {
			first, firstHdr.Shape = name, h.Shape
		}
	}
	if first == "" || len(firstHdr.Shape) != 2 {
		t.Fatalf("cannot find the first 2-D tensor in %s", f.model)
	}

	type badModel struct {
		name     string
		data     []byte
		want     []string
		maxAlloc uint64
	}
	kinds := []badModel{
		{name: "truncated", data: good[:len(good)/2], want: []string{"truncated"}},
		{name: "truncated-in-header", data: good[:100], want: []string{"header length"}},
		{name: "five-bytes", data: good[:5], want: []string{"header length"}},
		{name: "empty", data: []byte{}, want: []string{"header length"}},
		{name: "header-past-end", data: testbad.WithHeaderLength(good, uint64(len(good))+1000), want: []string{"header length", "past the end"}},
		{name: "header-huge", data: testbad.WithHeaderLength(good, 1<<62), want: []string{"header length", "limit"}, maxAlloc: 8 << 20},
		{name: "nan-weight", data: edit(func(s *testbad.Safetensors) { s.SetFloat(3, float32(math.NaN())) }), want: []string{first, "NaN"}},
		{name: "inf-weight", data: edit(func(s *testbad.Safetensors) { s.SetFloat(5, float32(math.Inf(-1))) }), want: []string{first, "Inf"}},
		{name: "spec-other-size", data: spec(func(sp *nn.Spec) {
			for i := range sp.Layers {
				if sp.Layers[i].Kind == "Dense" {
					sp.Layers[i].Units = 64
					break
				}
			}
		}), want: []string{"spec"}},
		{name: "spec-transposed-tensor", data: edit(func(s *testbad.Safetensors) {
			var h map[string]any
			json.Unmarshal(s.Header[first], &h)
			h["shape"] = []int{firstHdr.Shape[1], firstHdr.Shape[0]}
			s.Header[first], _ = json.Marshal(h)
		}), want: []string{first, "shape"}},
		{name: "spec-missing", data: edit(func(s *testbad.Safetensors) {
			meta, _ := s.Metadata()
			delete(meta, nn.MetaSpec)
			s.SetMetadata(meta)
		}), want: []string{nn.MetaSpec}},
		{name: "spec-not-json", data: edit(func(s *testbad.Safetensors) {
			meta, _ := s.Metadata()
			meta[nn.MetaSpec] = "{not json"
			s.SetMetadata(meta)
		}), want: []string{nn.MetaSpec}},
		{name: "dtype-f16", data: edit(func(s *testbad.Safetensors) {
			s.Header[first] = bytes.Replace(s.Header[first], []byte(`"F32"`), []byte(`"F16"`), 1)
		}), want: []string{first, "F16"}},
		{name: "header-not-json", data: append(testbad.WithHeaderLength(make([]byte, 8), 16), []byte("this is no json!")...),
			want: []string{"header"}},
		{name: "a-png", data: relDigitPNG(make([]byte, 784), 1), want: []string{"header length"}},
	}
	os.MkdirAll(filepath.Join(f.root, "bad", "adir"), 0o755)
	var cases []relCase
	for _, k := range kinds {
		path := filepath.Join(f.root, "bad", k.name+".safetensors")
		relWrite(t, path, k.data)
		m := "{bad:" + k.name + ".safetensors}"
		want := append([]string{k.name + ".safetensors"}, k.want...)
		cases = append(cases,
			relCase{name: k.name + "/eval", args: []string{"eval", "--data", "{mn}", m}, code: exitFailure, want: want, maxAlloc: k.maxAlloc},
			relCase{name: k.name + "/predict", args: []string{"predict", "--model", m, "{img}"}, code: exitFailure, want: want, maxAlloc: k.maxAlloc},
			relCase{name: k.name + "/serve", args: []string{"serve", "--model", m, "--addr", "127.0.0.1:0"}, code: exitFailure, want: want, cancel: true},
			relCase{name: k.name + "/export", args: []string{"export", "--onnx", "{w}/x.onnx", m}, code: exitFailure, want: want},
		)
	}
	for _, p := range []struct{ name, path, want string }{
		{"missing", "{w}/missing.safetensors", "missing.safetensors"},
		{"directory", "{bad:adir}", "adir"},
	} {
		cases = append(cases,
			relCase{name: p.name + "/eval", args: []string{"eval", "--data", "{mn}", p.path}, code: exitFailure, want: []string{p.want}},
			relCase{name: p.name + "/predict", args: []string{"predict", "--model", p.path, "{img}"}, code: exitFailure, want: []string{p.want}},
			relCase{name: p.name + "/serve", args: []string{"serve", "--model", p.path, "--addr", "127.0.0.1:0"}, code: exitFailure, want: []string{p.want}, cancel: true},
			relCase{name: p.name + "/export", args: []string{"export", "--onnx", "{w}/x.onnx", p.path}, code: exitFailure, want: []string{p.want}},
		)
	}
	// The good model works with every command, so the cases above fail for
	// the damage alone.
	cases = append(cases,
		relCase{name: "good/eval", args: []string{"eval", "--data", "{mn}", "{model}"}, code: exitOK},
		relCase{name: "good/predict", args: []string{"predict", "--model", "{model}", "{img}"}, code: exitOK},
		relCase{name: "good/serve", args: []string{"serve", "--model", "{model}", "--addr", "127.0.0.1:0"}, code: exitOK, cancel: true},
		relCase{name: "good/export", args: []string{"export", "--onnx", "{w}/x.onnx", "{model}"}, code: exitOK, keep: []string{"x.onnx"}},
	)
	runRelCases(t, f, cases)
}

// TestReliabilityBadImages gives predict images that are bombs, damaged or
// not images at all, from files and from standard input.
func TestReliabilityBadImages(t *testing.T) {
	f := newRelFixture(t)
	digit, err := os.ReadFile(filepath.Join(f.root, "digit.png"))
	if err != nil {
		t.Fatal(err)
	}
	blank := image.NewGray(image.Rect(0, 0, 40, 40))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	var blankPNG bytes.Buffer
	png.Encode(&blankPNG, blank)
	images := map[string][]byte{
		"bomb.png":      testbad.PNGBomb(100000, 100000),
		"wide.png":      testbad.PNGBomb(20000, 10),
		"megapixel.png": testbad.PNGBomb(10000, 5000),
		"zero.png":      testbad.PNGBomb(0, 10),
		"truncated.png": digit[:len(digit)/2],
		"text.png":      []byte("this is not an image\n"),
		"empty.png":     {},
		"blank.png":     blankPNG.Bytes(),
	}
	for name, b := range images {
		relWrite(t, filepath.Join(f.root, "image", name), b)
	}
	os.MkdirAll(filepath.Join(f.root, "image", "none"), 0o755)
	relWrite(t, filepath.Join(f.root, "image", "none", "notes.txt"), []byte("no images here"))

	// predict reports each image that failed on its own line (naming the
	// file and the problem), then a summary line: two lines here.
	predict := func(name string, want ...string) relCase {
		return relCase{name: name, args: []string{"predict", "--model", "{model}", "{image:" + name + "}"}, code: exitFailure,
			want: []string{"1 of 1 images could not be read"}, lines: 2, maxAlloc: 8 << 20,
			check: func(t *testing.T, w, stdout, stderr string) {
				first, _, _ := strings.Cut(stderr, "\n")
				for _, s := range append([]string{"rakam predict: ", name}, want...) {
					if !strings.Contains(first, s) {
						t.Errorf("first line %q does not name %q", first, s)
					}
				}
			}}
	}
	cases := []relCase{
		predict("bomb.png", "100000x100000", "too large"),
		predict("wide.png", "20000x10", "too large"),
		predict("megapixel.png", "10000x5000", "too large"),
		predict("zero.png"),
		predict("truncated.png", "corrupt"),
		predict("text.png", "not a PNG"),
		predict("empty.png", "empty"),
		predict("blank.png", "blank"),
	}
	cases = append(cases,
		relCase{name: "missing-file", args: []string{"predict", "--model", "{model}", "{w}/missing.png"}, code: exitFailure,
			want: []string{"missing.png"}},
		relCase{name: "dir-without-images", args: []string{"predict", "--model", "{model}", "{image:none}"}, code: exitFailure,
			want: []string{"none", "no image files"}},
		relCase{name: "good-and-bad", args: []string{"predict", "--model", "{model}", "--json", "{img}", "{image:bomb.png}"}, code: exitFailure,
			want: []string{"1 of 2 images"}, lines: 2,
			check: func(t *testing.T, w, stdout, stderr string) {
				var preds []prediction
				if err := json.Unmarshal([]byte(stdout), &preds); err != nil || len(preds) != 2 || preds[0].Label == nil || preds[1].Error == "" {
					t.Errorf("predict --json = %s (%v); want a label for the good image and an error for the bomb", stdout, err)
				}
			}},
		relCase{name: "good", args: []string{"predict", "--model", "{model}", "{img}"}, code: exitOK},
	)
	runRelCases(t, f, cases)

	// Standard input: the bomb arrives through "-".
	t.Run("stdin-bomb", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"predict", "--model", f.model, "-"}, bytes.NewReader(images["bomb.png"]), &stdout, &stderr)
		first, _, _ := strings.Cut(stderr.String(), "\n")
		if code != exitFailure || !strings.Contains(first, "standard input") || !strings.Contains(first, "100000x100000") {
			t.Errorf("rakam predict - < bomb.png = %d, stderr %q; want 1 and a line naming standard input and the size", code, stderr.String())
		}
	})
}

// TestReliabilityFlags: unknown flags, bad values and missing arguments are
// usage errors (exit 2) naming the flag, for every command.
func TestReliabilityFlags(t *testing.T) {
	f := newRelFixture(t)
	u := func(name string, want string, args ...string) relCase {
		return relCase{name: name, args: args, code: exitUsage, want: []string{want}}
	}
	// Every case that could pass its checks by mistake points at data
	// that does not exist, so it fails fast instead of training.
	nd := "{w}/no-data"
	var cases []relCase
	for name := range commands {
		args := []string{name, "--no-such-flag"}
		if name == "data" {
			args = []string{"data", "info", "--no-such-flag"}
		}
		cases = append(cases, u(name+"/unknown-flag", "-no-such-flag", args...))
	}
	cases = append(cases,
		u("unknown-command", "unknown command", "trian"),

		u("train/no-model", "--model", "train", "--data", nd),
		u("train/unknown-model", "--model", "train", "--model", "resnet", "--data", nd),
		u("train/epochs-not-a-number", "-epochs", "train", "--model", "cnn", "--epochs", "ten", "--data", nd),
		u("train/epochs-zero", "--epochs", "train", "--model", "cnn", "--epochs", "0", "--data", nd),
		u("train/lr-negative", "--lr", "train", "--model", "cnn", "--lr", "-0.1", "--data", nd),
		u("train/lr-inf", "--lr", "train", "--model", "cnn", "--lr", "Inf", "--data", nd),
		u("train/lr-overflow", "-lr", "train", "--model", "cnn", "--lr", "1e999", "--data", nd),
		u("train/batch-negative", "--batch", "train", "--model", "cnn", "--batch", "-1", "--data", nd),
		u("train/optimizer", "rmsprop", "train", "--model", "cnn", "--optimizer", "rmsprop", "--data", nd),
		u("train/schedule", "--schedule", "train", "--model", "cnn", "--schedule", "zigzag", "--data", nd),
		u("train/val-too-big", "--val", "train", "--model", "cnn", "--val", "1200", "--data", "{mn}", "--out", "{w}/m.safetensors"),
		u("train/threads", "--threads", "train", "--model", "cnn", "--threads", "-2", "--data", nd),
		u("train/seed-negative", "-seed", "train", "--model", "cnn", "--seed", "-1", "--data", nd),
		u("train/checkpoint-every-alone", "--checkpoint-dir", "train", "--model", "cnn", "--checkpoint-every", "3", "--data", nd),
		u("train/extra-argument", "extra", "train", "--model", "cnn", "extra", "--data", nd),
		u("train/resume-with-flags", "--epochs", "train", "--resume", "{w}", "--epochs", "2"),
		u("train/flag-without-value", "-out", "train", "--model", "cnn", "--out"),

		u("scratch/epochs-zero", "--epochs", "scratch", "--epochs", "0", "--data", nd),
		u("scratch/lr-zero", "--lr", "scratch", "--lr", "0", "--data", nd),
		u("scratch/hidden", "--hidden", "scratch", "--hidden", "-5", "--data", nd),
		u("scratch/batch-not-a-number", "-batch", "scratch", "--batch", "x", "--data", nd),
		u("scratch/val-too-big", "--val", "scratch", "--val", "1200", "--data", "{mn}"),
		u("scratch/extra-argument", "extra", "scratch", "extra", "--data", nd),

		u("eval/no-model", "MODEL", "eval"),
		u("eval/two-models", "b.safetensors", "eval", "a.safetensors", "b.safetensors"),
		u("eval/batch-zero", "--batch", "eval", "--batch", "0", "{model}"),

		u("predict/no-model", "--model", "predict", "{img}"),
		u("predict/no-image", "IMAGE", "predict", "--model", "{model}"),

		u("serve/no-model", "--model", "serve"),
		u("serve/workers", "--workers", "serve", "--model", "{model}", "--workers", "0"),
		u("serve/max-batch", "--max-batch", "serve", "--model", "{model}", "--max-batch", "100000"),
		u("serve/queue", "--queue", "serve", "--model", "{model}", "--queue", "0"),
		u("serve/max-body", "--max-body", "serve", "--model", "{model}", "--max-body", "10"),
		u("serve/log-level", "--log-level", "serve", "--model", "{model}", "--log-level", "loud"),
		u("serve/log-format", "--log-format", "serve", "--model", "{model}", "--log-format", "xml"),
		u("serve/extra-argument", "extra", "serve", "--model", "{model}", "extra"),

		u("export/no-onnx", "--onnx", "export", "{model}"),
		u("export/no-model", "MODEL", "export", "--onnx", "{w}/x.onnx"),
		u("export/two-models", "b.safetensors", "export", "--onnx", "{w}/x.onnx", "a.safetensors", "b.safetensors"),
		u("export/onto-itself", "--onnx", "export", "--onnx", "{model}", "{model}"),

		u("search/method", "--method", "search", "--method", "bayes", "--data", nd),
		u("search/trials-negative", "--trials", "search", "--trials", "-1", "--data", nd),
		u("search/space", "--space", "search", "--space", "lr=fast", "--data", nd),
		u("search/space-unknown-key", "--space", "search", "--space", "momentum=0.9", "--data", nd),
		u("search/model", "--model", "search", "--model", "resnet", "--data", nd),
		u("search/val-too-big", "--val", "search", "--val", "1200", "--data", "{mn}"),

		u("compare/epochs-negative", "--epochs", "compare", "--epochs", "-1", "--data", nd, "--out", "{w}/cmp"),
		u("compare/seed-not-a-number", "-seed", "compare", "--seed", "one", "--data", nd, "--out", "{w}/cmp"),
		u("compare/extra-argument", "extra", "compare", "extra", "--data", nd, "--out", "{w}/cmp"),

		u("models/extra-argument", "extra", "models", "extra"),
		u("models/json-value", "-json", "models", "--json=maybe"),

		u("data/no-subcommand", "subcommand", "data"),
		u("data/unknown-subcommand", "fetch", "data", "fetch"),
		u("data/download-no-to", "--to", "data", "download"),
		u("data/download-bad-mirror", "-mirror", "data", "download", "--to", "{w}/d", "--mirror", "ftp://example.invalid/"),
		u("data/info-extra-argument", "extra", "data", "info", "extra"),
	)
	for i := range cases {
		switch {
		case strings.HasPrefix(cases[i].name, "data/no-subcommand"):
			// The subcommand list goes to stdout, the error to stderr.
		case cases[i].name == "scratch/epochs-zero" || cases[i].name == "scratch/lr-zero" || cases[i].name == "scratch/hidden":
			cases[i].bug = "scratch's value errors name the setting (\"epochs\", \"learning rate\", \"hidden units\"), not the flag " +
				"(scratch.Config.Validate's message is passed through by runScratch)"
		case cases[i].name == "scratch/val-too-big" || cases[i].name == "search/val-too-big":
			cases[i].bug = "study.LoadData accepts --val equal to the training-set size (mnist.Set.Split allows nVal == N): " +
				"scratch then fails after printing progress with \"the training set is empty\", search fails every trial; " +
				"a larger --val is exit 1 \"mnist: validation size ... out of range\", naming no flag"
		case cases[i].name == "train/optimizer":
			cases[i].bug = "completeOptions takes the default learning rate of an unknown optimizer (0) before checking the name, " +
				"so --optimizer rmsprop is reported as \"--lr must be a positive number, got 0\""
		}
	}
	runRelCases(t, f, cases)
}

// TestReliabilityDivergence: a learning rate that makes the loss explode
// stops training with a message naming the epoch and batch; no model is
// written and the last checkpoint kept is a good one.
func TestReliabilityDivergence(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	cases := []relCase{
		{name: "train-lr-100", args: []string{"train", "--model", "baseline-adam", "--lr", "100", "--data", "{mn}", "--val", relVal,
			"--epochs", "3", "--quiet", "--out", "{w}/m.safetensors", "--checkpoint-dir", "{w}/ck", "--checkpoint-every", "1"},
			code: exitFailure, want: []string{"diverged at epoch 1, batch", "no model saved", "learning rate"},
			keep: []string{"ck/" + train.CheckpointFile},
			check: func(t *testing.T, w, stdout, stderr string) {
				ck, err := train.LoadCheckpoint(filepath.Join(w, "ck"))
				if err != nil {
					t.Fatalf("the checkpoint kept after divergence does not load: %v", err)
				}
				m := regexp.MustCompile(`batch (\d+)`).FindStringSubmatch(stderr)
				if ck.Epoch() != 1 || m == nil || fmt.Sprint(ck.Batch()+1) != m[1] {
					t.Errorf("checkpoint at epoch %d batch %d; want the last good batch before the one named in %q", ck.Epoch(), ck.Batch(), stderr)
				}
			}},
		{name: "train-lr-1e6-sgd", args: []string{"train", "--model", "baseline-sgd", "--lr", "1e6", "--data", "{mn}", "--val", relVal,
			"--epochs", "2", "--quiet", "--out", "{w}/m.safetensors"},
			code: exitFailure, want: []string{"diverged at epoch", "batch"}},
		{name: "scratch-lr-1e6", args: []string{"scratch", "--lr", "1e6", "--data", "{mn}", "--val", relVal, "--epochs", "2",
			"--out", "{w}/s.safetensors"}, code: exitFailure, want: []string{"diverged", "epoch", "batch"}, progress: true,
			bug: "scratch.Train only stops on a NaN/Inf loss, but tensor.CrossEntropy clamps the loss at -log(1e-12) = 27.6, so a run that has blown up (accuracy 10%) finishes with exit 0 and saves its model"},
		{name: "search-lr-1e9", args: []string{"search", "--space", "lr=1e9", "--method", "grid", "--epochs", "1", "--data", "{mn}",
			"--val", relVal, "--quiet"}, code: exitFailure, want: []string{"every search trial failed", "diverged at epoch 1, batch"}},
	}
	runRelCases(t, f, cases)
}

// TestReliabilityUnwritable: an output path that cannot be written is
// reported before any training, as one line naming the flag or path. The
// tests run as root, which may write anywhere, so the paths lie under a
// regular file.
func TestReliabilityUnwritable(t *testing.T) {
	f := newRelFixture(t)
	os.MkdirAll(filepath.Join(f.root, "bad", "adir"), 0o755)
	cases := []relCase{
		{name: "train-out", args: []string{"train", "--model", "baseline-adam", "--data", "{mn}", "--val", relVal, "--epochs", "1",
			"--out", "{file}/sub/out.safetensors"}, code: exitFailure, want: []string{"--out", "file/sub"}},
		{name: "train-checkpoint-dir", args: []string{"train", "--model", "baseline-adam", "--data", "{mn}", "--val", relVal, "--epochs", "1",
			"--out", "{w}/m.safetensors", "--checkpoint-dir", "{file}/sub"}, code: exitFailure, want: []string{"--checkpoint-dir", "file/sub"}},
		{name: "train-events", args: []string{"train", "--model", "baseline-adam", "--data", "{mn}", "--val", relVal, "--epochs", "1",
			"--out", "{w}/m.safetensors", "--events", "{file}/ev.jsonl"}, code: exitFailure, want: []string{"--events", "file/ev.jsonl"}},
		{name: "train-default-out", args: []string{"train", "--resume", "{file}/sub"}, code: exitFailure, want: []string{"file/sub"}},
		{name: "scratch-out", args: []string{"scratch", "--data", "{mn}", "--val", relVal, "--epochs", "1", "--out", "{file}/sub/s.safetensors"},
			code: exitFailure, want: []string{"file/sub"}},
		// The output path is an existing directory: no --quiet, so any
		// progress line shows that training ran before the error.
		{name: "train-out-is-dir", args: []string{"train", "--model", "baseline-adam", "--data", "{mn}", "--val", relVal, "--epochs", "1",
			"--out", "{bad:adir}"}, code: exitFailure, want: []string{"adir"}},
		{name: "scratch-out-is-dir", args: []string{"scratch", "--data", "{mn}", "--val", relVal, "--epochs", "1", "--out", "{bad:adir}"},
			code: exitFailure, want: []string{"adir"}},
		{name: "export-onnx", args: []string{"export", "--onnx", "{file}/sub/x.onnx", "{model}"}, code: exitFailure, want: []string{"file/sub/x.onnx"}},
		{name: "export-onnx-is-dir", args: []string{"export", "--onnx", "{bad:adir}", "{model}"}, code: exitFailure, want: []string{"adir"}},
		{name: "compare-out", args: []string{"compare", "--quick", "--data", "{mn}", "--val", relVal, "--quiet", "--out", "{file}/sub"},
			code: exitFailure, want: []string{"output directory", "file"}},
		{name: "data-download-to", args: []string{"data", "download", "--to", "{file}/sub", "--mirror", "http://127.0.0.1:1/"},
			code: exitFailure, want: []string{"file/sub"}},
	}
	runRelCases(t, f, cases)
}

// TestReliabilityInterrupt: a command whose context is cancelled (Ctrl-C)
// exits 130 with one line, leaves no partial output, and train saves a
// checkpoint it can resume from. serve documents exit 0 after a graceful
// shutdown.
func TestReliabilityInterrupt(t *testing.T) {
	f := newRelFixture(t)
	cases := []relCase{
		{name: "train", args: []string{"train", "--model", "baseline-adam", "--data", "{mn}", "--val", relVal, "--epochs", "2", "--quiet",
			"--out", "{w}/m.safetensors", "--checkpoint-dir", "{w}/ck"}, code: exitInterrupted, cancel: true,
			want: []string{"interrupted", "--resume"}, keep: []string{"ck/" + train.CheckpointFile},
			check: func(t *testing.T, w, stdout, stderr string) {
				if _, err := train.LoadCheckpoint(filepath.Join(w, "ck")); err != nil {
					t.Errorf("no usable checkpoint after the interrupt: %v", err)
				}
			}},
		{name: "train-no-checkpoint-dir", args: []string{"train", "--model", "baseline-adam", "--data", "{mn}", "--val", relVal, "--epochs", "2",
			"--quiet", "--out", "{w}/m.safetensors"}, code: exitInterrupted, cancel: true,
			want: []string{"interrupted", "m.ckpt"}, keep: []string{"m.ckpt/" + train.CheckpointFile}},
		{name: "scratch", args: []string{"scratch", "--data", "{mn}", "--val", relVal, "--out", "{w}/s.safetensors"}, code: exitInterrupted,
			cancel: true, want: []string{"interrupted"}, progress: true},
		{name: "search", args: []string{"search", "--data", "{mn}", "--val", relVal, "--trials", "2", "--epochs", "1", "--quiet"},
			code: exitInterrupted, cancel: true, want: []string{"interrupted"}},
		{name: "compare", args: []string{"compare", "--quick", "--data", "{mn}", "--val", relVal, "--quiet", "--out", "{w}/cmp"},
			code: exitInterrupted, cancel: true, want: []string{"interrupted"}},
		{name: "predict", args: []string{"predict", "--model", "{model}", "{img}"}, code: exitInterrupted, cancel: true,
			want: []string{"interrupted"}},
		{name: "data-download", args: []string{"data", "download", "--to", "{w}/d", "--mirror", "http://127.0.0.1:1/"},
			code: exitInterrupted, cancel: true, want: []string{"interrupted"}},
		{name: "serve", args: []string{"serve", "--model", "{model}", "--addr", "127.0.0.1:0"}, code: exitOK, cancel: true},
	}
	runRelCases(t, f, cases)
}

// TestReliabilityBadCheckpoint: --resume with a damaged checkpoint fails
// with one line naming the file.
func TestReliabilityBadCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	// A real checkpoint: interrupt a run at once.
	ckDir := filepath.Join(f.root, "ck")
	var so, se bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := run(ctx, []string{"train", "--model", "baseline-adam", "--data", filepath.Join(f.root, "mn"), "--val", relVal,
		"--epochs", "1", "--quiet", "--out", filepath.Join(f.root, "ck.safetensors"), "--checkpoint-dir", ckDir}, nil, &so, &se); code != exitInterrupted {
		t.Fatalf("interrupted run = %d, %s", code, se.String())
	}
	good, err := os.ReadFile(filepath.Join(ckDir, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	flip := slices.Clone(good)
	flip[len(flip)-3] ^= 0x40
	var cases []relCase
	for _, k := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)/2], "checkpoint"},
		{"bit-flip", flip, "checkpoint"},
		{"empty", nil, "checkpoint"},
		{"a-model", mustRead(t, f.model), "magic"},
	} {
		dir := filepath.Join(f.root, "bad", "ck-"+k.name)
		os.MkdirAll(dir, 0o755)
		relWrite(t, filepath.Join(dir, train.CheckpointFile), k.data)
		cases = append(cases, relCase{name: k.name, args: []string{"train", "--resume", "{bad:ck-" + k.name + "}", "--quiet"},
			code: exitFailure, want: []string{"ck-" + k.name, train.CheckpointFile, k.want}})
	}
	runRelCases(t, f, cases)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReliabilityBinary builds the real binary once and runs what needs a
// process of its own: SIGINT through main's signal handling, and flag
// values so large that a run would allocate terabytes (a crash there ends
// the process, so they must not run inside the test binary; they run under
// an address-space limit so a regression cannot eat the machine's memory).
func TestReliabilityBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and trains in -short mode")
	}
	f := newRelFixture(t)
	bin := filepath.Join(t.TempDir(), "rakam")
	build := exec.Command("go", "build", "-o", bin, ".")
	// Pure Go, as released: with cgo, glibc reserves 8 MB of address space
	// per thread, and thread creation can fail under the limit below.
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("SIGINT", func(t *testing.T) { relSIGINT(t, f, bin) })
	relHugeValues(t, f, bin)
}

// relSIGINT starts a long training run, sends SIGINT after the first
// progress line, and expects exit 130, one error line saying how to resume,
// a checkpoint in --checkpoint-dir, and no model file.
func relSIGINT(t *testing.T, f *relFixture, bin string) {
	w := filepath.Join(f.root, "w", "sigint")
	ck := filepath.Join(w, "ck")
	out := filepath.Join(w, "m.safetensors")
	cmd := exec.Command(bin, "train", "--model", "baseline-adam", "--data", filepath.Join(f.root, "mn"), "--val", relVal,
		"--epochs", "1000", "--out", out, "--checkpoint-dir", ck)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(stderr)
	sent := false
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if !sent && strings.HasPrefix(sc.Text(), "epoch ") {
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			sent = true
		}
	}
	err = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if !sent {
		t.Fatalf("no progress line before exit %d (%v); stderr:\n%s", code, err, strings.Join(lines, "\n"))
	}
	last := lines[len(lines)-1]
	var errLines []string
	for _, l := range lines {
		if strings.HasPrefix(l, "rakam ") || relPanicRE.MatchString(l) {
			errLines = append(errLines, l)
		}
	}
	if code != exitInterrupted || len(errLines) != 1 || errLines[0] != last || !strings.Contains(last, "--resume") {
		t.Errorf("SIGINT: exit %d, stderr ends %q (%d error lines); want 130 and one line saying how to resume", code, last, len(errLines))
	}
	c, err := train.LoadCheckpoint(ck)
	if err != nil {
		t.Fatalf("no usable checkpoint in --checkpoint-dir after SIGINT: %v", err)
	}
	if c.Epoch() < 1 || c.Epoch() >= 1000 {
		t.Errorf("checkpoint at epoch %d; want one of the first epochs", c.Epoch())
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a model was written after SIGINT (stat: %v)", err)
	}
	if p := relLeftovers(f.root, w, []string{"ck/" + train.CheckpointFile}); len(p) > 0 {
		t.Errorf("after SIGINT: %s", strings.Join(p, "; "))
	}
	var meta trainOptions
	if err := json.Unmarshal(c.Meta(), &meta); err != nil || meta.Model != "baseline-adam" || meta.Epochs != 1000 {
		t.Errorf("checkpoint flags %s (%v); want the run's", c.Meta(), err)
	}
}

// relHugeValues runs flag values that ask for absurd amounts of memory.
// Each must end as a usage error naming the flag (exit 2) or, where the
// value can safely be clamped, succeed; never as the runtime's "fatal
// error: out of memory" with its goroutine dump.
func relHugeValues(t *testing.T, f *relFixture, bin string) {
	const limitKB = 1 << 20 // 1 GiB of address space: enough for these small runs and the runtime's reservations
	mn := filepath.Join(f.root, "mn")
	// A valid model whose first layer makes 3000 channels of 28x28 per image
	// (2.4 million values: 9 GB at eval's default batch of 1000, far over the
	// 1 GiB limit below; the evaluation itself stays quick),
	// pooled down to 10 outputs.
	wide, err := nn.Build(nn.Spec{Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{
		{Kind: "Conv2D", Filters: 3000, Kernel: 1}, {Kind: "MaxPool2D", Kernel: 28}, {Kind: "Conv2D", Filters: 10, Kernel: 1}, {Kind: "Flatten"},
	}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	wideModel := filepath.Join(f.root, "bad", "wide.safetensors")
	if err := nn.Save(wideModel, wide, nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		args  []string
		flag  string // named by the usage error
		ok    bool   // may also succeed (the value is clamped)
		bug   string
		code  int  // the error's exit code, if not 2
		serve bool // a server: stopped with SIGINT after 2 s
	}{
		{name: "control-eval", args: []string{"eval", "--data", mn, f.model}, ok: true},
		{name: "control-serve", args: []string{"serve", "--model", f.model, "--addr", "127.0.0.1:0"}, ok: true, serve: true},
		{name: "eval-batch", args: []string{"eval", "--data", mn, "--batch", "1000000000", f.model}, flag: "--batch", ok: true},
		{name: "eval-wide-model", args: []string{"eval", "--data", mn, wideModel}, flag: "wide.safetensors", ok: true, code: exitFailure,
			bug: "a valid 1 MB model file (Conv2D of 20000 1x1 filters) makes eval allocate batch × 15.7M float32s (31 GB for the 500 test images here, 63 GB at the default --batch 1000 on MNIST) and die with \"fatal error: out of memory\"; " +
				"bound batch × the spec's largest activation in train.Evaluate, as serve and predict now do (serve.Model.MaxExamples)"},
		{name: "train-batch", args: []string{"train", "--model", "baseline-adam", "--data", mn, "--val", relVal, "--epochs", "1", "--quiet",
			"--batch", "1000000000", "--out", filepath.Join(f.root, "w", "huge-train.safetensors")}, flag: "--batch", ok: true,
			bug: "train --batch 1000000000 allocates batch×784 float32s (3 TB) and dies with \"fatal error: out of memory\"; clamp the batch to the training-set size or reject it"},
		{name: "scratch-batch", args: []string{"scratch", "--data", mn, "--val", relVal, "--epochs", "1", "--batch", "1000000000"},
			flag: "--batch", ok: true,
			bug: "scratch --batch 1000000000 dies with \"fatal error: out of memory\"; clamp the batch to the training-set size or reject it"},
		{name: "scratch-hidden", args: []string{"scratch", "--data", mn, "--val", relVal, "--epochs", "1", "--hidden", "1000000000"},
			flag: "--hidden",
			bug:  "scratch --hidden 1000000000 allocates 784×10⁹ weights and dies with \"fatal error: out of memory\"; bound --hidden (search's space allows 1..65536)"},
		{name: "search-trials", args: []string{"search", "--data", mn, "--val", relVal, "--epochs", "1", "--quiet", "--trials", "1000000000"},
			flag: "--trials",
			bug:  "search --trials 1000000000 builds every trial up front and dies with \"fatal error: out of memory\"; bound --trials"},
		{name: "compare-trials", args: []string{"compare", "--quick", "--data", mn, "--val", relVal, "--quiet", "--trials", "1000000000",
			"--out", filepath.Join(f.root, "w", "huge-compare")}, flag: "--trials",
			bug: "compare --trials 1000000000 dies with \"fatal error: out of memory\" (the search it runs builds every trial up front); bound --trials"},
		{name: "serve-queue", args: []string{"serve", "--model", f.model, "--addr", "127.0.0.1:0", "--queue", "1000000000"},
			flag: "--queue", ok: true, serve: true},
	}
	for _, tc := range cases {
		t.Run("huge/"+tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", fmt.Sprintf("ulimit -v %d && exec \"$0\" \"$@\"", limitKB), bin}, tc.args...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tc.serve {
				// A server that starts is fine; stop it as Ctrl-C would.
				time.AfterFunc(2*time.Second, func() { cmd.Process.Signal(os.Interrupt) })
			}
			cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			var probs []string
			if code == exitOK && tc.ok {
				if relPanicRE.MatchString(stderr.String()) {
					probs = append(probs, "stderr shows a panic or a trace")
				}
			} else {
				want := tc.code
				if want == 0 {
					want = exitUsage
				}
				probs = relProblems(relCase{code: want, want: []string{tc.flag}}, code, stderr.String())
			}
			if len(probs) > 0 {
				msg := fmt.Sprintf("rakam %s\n  exit %d, stderr (first 5 lines):\n%s  problems:\n    %s", strings.Join(tc.args, " "), code,
					relIndent(relHead(stderr.String(), 5)), strings.Join(probs, "\n    "))
				if tc.bug != "" {
					// A defect the audit found and that was fixed has come back.
					msg = "regression of a fixed defect: " + tc.bug + "\n" + msg
				}
				t.Error(msg)
			}
		})
	}
}

func relHead(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// TestReliabilityThreadCount: the thread count of the matrix products does
// not change the result. The same seed trained with 1, 2 and 3 threads (1
// and 2 for the CNN) gives byte-identical model files (GEMM splits C into fixed partitions and
// every element is summed in the same order whatever the thread count).
func TestReliabilityThreadCount(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	defer tensor.SetThreads(tensor.Threads())
	for _, model := range []string{"advanced", "cnn"} {
		var first []byte
		limit := "400"
		if model == "cnn" {
			limit = "200"
		}
		threads := []string{"1", "2", "3"}
		if model == "cnn" {
			threads = threads[:2]
		}
		for _, th := range threads {
			out := filepath.Join(f.root, "w", model+"-"+th+".safetensors")
			args := []string{"train", "--model", model, "--data", filepath.Join(f.root, "mn"), "--val", relVal, "--epochs", "1",
				"--train-limit", limit, "--batch", "50", "--threads", th, "--quiet", "--out", out}
			code, _, errs := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("rakam %s = %d: %s", strings.Join(args, " "), code, errs)
			}
			if got := tensor.Threads(); fmt.Sprint(got) != th {
				t.Fatalf("--threads %s left tensor.Threads() = %d", th, got)
			}
			b := mustRead(t, out)
			if first == nil {
				first = b
			} else if !bytes.Equal(b, first) {
				t.Errorf("%s: the model trained with %s threads differs from the one trained with 1", model, th)
			}
		}
	}
}

// TestReliabilityAugmentWorkers: with --augment the data loader prepares
// batches on GOMAXPROCS worker goroutines, each with its own random
// stream; GOMAXPROCS 1 and 2 (with 1 and 2 GEMM threads) give
// byte-identical models.
func TestReliabilityAugmentWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer tensor.SetThreads(tensor.Threads())
	var first []byte
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		out := filepath.Join(f.root, "w", fmt.Sprintf("augment-%d.safetensors", procs))
		args := []string{"train", "--model", "advanced", "--augment", "--data", filepath.Join(f.root, "mn"), "--val", relVal, "--epochs", "1",
			"--train-limit", "300", "--batch", "50", "--threads", fmt.Sprint(procs), "--quiet", "--out", out}
		if code, _, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("rakam %s = %d: %s", strings.Join(args, " "), code, errs)
		}
		b := mustRead(t, out)
		if first == nil {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Errorf("--augment: the model trained with GOMAXPROCS=%d differs from the one with GOMAXPROCS=1", procs)
		}
	}
}

// TestReliabilitySearchWorkers: a search trains its trials in parallel;
// one worker or two give the same table (each trial runs its matrix
// products on one thread and has its own seeded random streams).
func TestReliabilitySearchWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	type table struct {
		Trials []struct {
			Params      map[string]any `json:"params"`
			ValAccuracy float64        `json:"val_accuracy"`
			ValLoss     float64        `json:"val_loss"`
		} `json:"trials"`
		Winner struct {
			TestAccuracy float64 `json:"test_accuracy"`
			TestLoss     float64 `json:"test_loss"`
		} `json:"winner"`
	}
	var tables [2]table
	for i, workers := range []string{"1", "2"} {
		args := []string{"search", "--data", filepath.Join(f.root, "mn"), "--val", relVal, "--trials", "3", "--epochs", "1",
			"--space", "lr=0.0003..0.003;hidden=32,64;batch=50", "--workers", workers, "--quiet", "--json"}
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("rakam %s = %d: %s", strings.Join(args, " "), code, errs)
		}
		if err := json.Unmarshal([]byte(out), &tables[i]); err != nil || len(tables[i].Trials) != 3 {
			t.Fatalf("search --json: %v\n%s", err, out)
		}
	}
	a, _ := json.Marshal(tables[0])
	b, _ := json.Marshal(tables[1])
	if !bytes.Equal(a, b) {
		t.Errorf("search with 1 worker:\n%s\nwith 2 workers:\n%s", a, b)
	}
}

// TestReliabilityKillDuringWrite kills a process with SIGKILL while it
// rewrites a 4 MiB file with internal/atomicfile in a loop (alternately all
// 'A' and all 'B'), several times at varying moments, and checks that the
// file is always one complete version, never a torn mix. SIGKILL cannot be
// caught, so the temporary file of the write in progress stays behind (a
// hidden ".NAME.tmp-*" next to the target); the test counts them.
func TestReliabilityKillDuringWrite(t *testing.T) {
	const size = 4 << 20
	if path := os.Getenv("RAKAM_REL_WRITER"); path != "" {
		for i := 0; ; i++ {
			if err := atomicfile.WriteFile(path, bytes.Repeat([]byte{byte('A' + i%2)}, size), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(3)
			}
		}
	}
	if testing.Short() {
		t.Skip("kills writer processes in -short mode")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	leftovers := 0
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReliabilityKillDuringWrite$")
		cmd.Env = append(os.Environ(), "RAKAM_REL_WRITER="+path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let it finish at least one write, then kill it at a moment that
		// varies with the round.
		for i := 0; i < 500; i++ {
			if _, err := os.Stat(path); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(20+37*round) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: the writer was not killed (%v): %s", round, cmd.ProcessState, stderr.String())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(b) != size || (bytes.Count(b, b[:1]) != size) || (b[0] != 'A' && b[0] != 'B') {
			t.Fatalf("round %d: the file is torn: %d bytes, %d of them %q", round, len(b), bytes.Count(b, b[:1]), b[:1])
		}
		ents, _ := os.ReadDir(dir)
		leftovers = len(ents) - 1
	}
	t.Logf("temporary files left by 5 kills: %d", leftovers)
}

// TestReliabilityNoCommand: "rakam" alone prints the command list and
// exits 2.
func TestReliabilityNoCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), nil, nil, &stdout, &stderr); code != exitUsage || !strings.Contains(stdout.String(), "Commands:") {
		t.Errorf("rakam = %d, stdout %q; want 2 and the command list", code, stdout.String())
	}
}

// TestReliabilityWritesAreAtomic scans rakam's non-test code for calls
// that create or write files directly. Outputs must go through
// internal/atomicfile (temporary file, fsync, rename); the exceptions are
// listed with the reason.
func TestReliabilityWritesAreAtomic(t *testing.T) {
	allowed := map[string]string{
		// --events is an append-only JSON-lines log that a resumed run
		// extends; a crash can cut its last line, never a saved result.
		"cmd/rakam/train.go: os.OpenFile": "append-only event log",
	}
	re := regexp.MustCompile(`\b(os\.(WriteFile|Create|OpenFile)|ioutil\.WriteFile)\(`)
	root := filepath.Join("..", "..")
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			base := d.Name()
			if rel != "." && (strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") || base == "testdata" ||
				rel == "internal/atomicfile" || rel == "internal/testbad") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.HasPrefix(b, []byte("//go:build ignore")) {
			return nil
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := re.FindStringSubmatch(line); m != nil {
				key := rel + ": " + m[1]
				if _, ok := allowed[key]; !ok {
					found = append(found, fmt.Sprintf("%s:%d: %s", rel, i+1, strings.TrimSpace(line)))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("non-atomic write (use internal/atomicfile): %s", f)
	}
}
