package onnx_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/onnx"
)

// ortDir is the Node harness that runs a model in onnxruntime.
const ortDir = "testdata/ort"

// ortImages is how many MNIST test images the onnxruntime comparison uses:
// 2,000 normally, all 10,000 with RAKAM_ONNX_FULL=1.
func ortImages() int {
	if os.Getenv("RAKAM_ONNX_FULL") == "1" {
		return 10000
	}
	return 2000
}

// nodeHarness returns the path of node, or skips the test when node or the
// installed onnxruntime-node package is missing.
func nodeHarness(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("onnxruntime check skipped: node is not installed (apt-get install nodejs npm)")
	}
	if _, err := os.Stat(filepath.Join(ortDir, "node_modules", "onnxruntime-node", "package.json")); err != nil {
		t.Skipf("onnxruntime check skipped: onnxruntime-node is not installed; run (cd onnx/%s && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund)", ortDir)
	}
	return node
}

// runORT runs model file path in onnxruntime on n images (float32 in 0..1,
// 784 each) and returns the outputs, (n, 10) row-major.
func runORT(t *testing.T, node, path string, px []float32, n int) []float32 {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "input.f32")
	out := filepath.Join(dir, "output.f32")
	if err := os.WriteFile(in, float32Bytes(px[:n*784]), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Batches of 333 leave a partial last batch: the batch size is dynamic.
	cmd := exec.CommandContext(ctx, node, "run.js", path, in, strconv.Itoa(n), out, "333")
	cmd.Dir = ortDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node run.js: %v\n%s", err, stderr.String())
	}
	var info struct {
		Input, Output string
		Images        int
		Classes       int
	}
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil {
		t.Fatalf("node run.js printed %q: %v", stdout.String(), err)
	}
	if info.Input != onnx.InputName || info.Output != onnx.OutputName || info.Images != n || info.Classes != 10 {
		t.Fatalf("onnxruntime session = %+v; want input %q, output %q, %d images, 10 classes", info, onnx.InputName, onnx.OutputName, n)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != n*10*4 {
		t.Fatalf("onnxruntime wrote %d bytes; want %d", len(b), n*10*4)
	}
	y := make([]float32, n*10)
	for i := range y {
		y[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return y
}

func float32Bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// agreement compares two (n, 10) probability tables.
type agreement struct {
	images     int
	argmaxSame int
	maxAbsDiff float64
	accuracy   float64 // of rakam's argmax against the labels
}

func (a agreement) String() string {
	return fmt.Sprintf("%d images: argmax agrees on %d (%.2f%%), max |Δp| = %.3g, rakam accuracy %.2f%%",
		a.images, a.argmaxSame, 100*float64(a.argmaxSame)/float64(a.images), a.maxAbsDiff, 100*a.accuracy)
}

func compare(want, got []float32, labels []uint8, n int) agreement {
	a := agreement{images: n}
	correct := 0
	for i := 0; i < n; i++ {
		w, g := want[i*10:(i+1)*10], got[i*10:(i+1)*10]
		if argmax(w) == argmax(g) {
			a.argmaxSame++
		}
		if argmax(w) == int(labels[i]) {
			correct++
		}
		for j := range w {
			d := math.Abs(float64(w[j]) - float64(g[j]))
			if d > a.maxAbsDiff || math.IsNaN(d) {
				a.maxAbsDiff = d
			}
		}
	}
	a.accuracy = float64(correct) / float64(n)
	return a
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// checkAgreement exports m, runs it in onnxruntime on the first n images of
// px and checks that it gives the same argmax as rakam on every image and
// probabilities within 1e-4.
func checkAgreement(t *testing.T, node, name string, m *nn.Sequential, px []float32, labels []uint8, n int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".onnx")
	if err := onnx.WriteFile(path, m, onnx.Options{DocString: "test model " + name}); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	want := probabilities(m, px, n)
	got := runORT(t, node, path, px, n)
	a := compare(want, got, labels, n)
	t.Logf("%s: %v", name, a)
	if a.argmaxSame != n {
		t.Errorf("argmax differs on %d of %d images", n-a.argmaxSame, n)
	}
	if !(a.maxAbsDiff <= 1e-4) {
		t.Errorf("max |p_rakam − p_onnxruntime| = %g; want ≤ 1e-4", a.maxAbsDiff)
	}
}

// TestOnnxruntimeAgreesWithRakam exports each test model, runs it in
// onnxruntime on MNIST test images, and checks that it gives the same
// argmax as rakam on every image and probabilities within 1e-4.
func TestOnnxruntimeAgreesWithRakam(t *testing.T) {
	node := nodeHarness(t)
	train, test := loadMNIST(t)
	n := min(ortImages(), test.N)
	px := pixels(test, 0, n)
	for _, tm := range testModels() {
		t.Run(tm.name, func(t *testing.T) {
			checkAgreement(t, node, tm.name, buildModel(t, tm, train), px, test.Labels, n)
		})
	}
}

// TestOnnxruntimeSavedModels checks models saved by `rakam train`: set
// RAKAM_ONNX_MODELS to a comma-separated list of .safetensors files. Each
// is loaded, exported and run in onnxruntime on the MNIST test images
// (2,000, or 10,000 with RAKAM_ONNX_FULL=1) with the same criteria as
// TestOnnxruntimeAgreesWithRakam.
func TestOnnxruntimeSavedModels(t *testing.T) {
	list := os.Getenv("RAKAM_ONNX_MODELS")
	if list == "" {
		t.Skip("set RAKAM_ONNX_MODELS=a.safetensors,b.safetensors to check saved models in onnxruntime")
	}
	node := nodeHarness(t)
	_, test := loadMNIST(t)
	n := min(ortImages(), test.N)
	px := pixels(test, 0, n)
	for _, path := range strings.Split(list, ",") {
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		t.Run(name, func(t *testing.T) {
			m, _, err := nn.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			checkAgreement(t, node, name, m, px, test.Labels, n)
		})
	}
}
