package main

// The reliability audit (see reliability_helpers_test.go): damaged MNIST
// files given to every command that reads them.

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rakam-ml/rakam/internal/testbad"
	"github.com/rakam-ml/rakam/mnist"
)

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
		for _, c := range relDataCommands() {
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
	for _, c := range relDataCommands() {
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
