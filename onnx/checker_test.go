package onnx_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/onnx"
)

// checkerScript validates each model with the ONNX project's own checker,
// including its strict shape inference, and prints one line per model.
const checkerScript = `
import sys, onnx
from onnx import checker, shape_inference
for path in sys.argv[1:]:
    m = onnx.load(path)
    checker.check_model(m, full_check=True)
    inferred = shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    out = inferred.graph.output[0].type.tensor_type.shape.dim
    print(path, [d.dim_param or d.dim_value for d in out])
`

// python returns a Python interpreter that can import onnx (Debian's
// python3-onnx), or "" when there is none.
func python() string {
	cands := []string{os.Getenv("RAKAM_PYTHON"), "python3", "/usr/bin/python3"}
	for _, c := range cands {
		if c == "" {
			continue
		}
		p, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		if exec.Command(p, "-c", "import onnx").Run() == nil {
			return p
		}
	}
	return ""
}

// TestONNXChecker runs the reference checker of the ONNX project on every
// exported test model: a file it rejects is not ONNX whatever onnxruntime
// accepts.
func TestONNXChecker(t *testing.T) {
	py := python()
	if py == "" {
		t.Skip("ONNX checker skipped: no Python with the onnx package (apt-get install python3-onnx)")
	}
	dir := t.TempDir()
	var paths []string
	for _, tm := range testModels() {
		m, err := nn.Build(tm.spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, tm.name+".onnx")
		if err := onnx.WriteFile(p, m, onnx.Options{}); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	out, err := exec.Command(py, append([]string{"-c", checkerScript}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx checker: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(paths) {
		t.Fatalf("checker printed %d lines for %d models:\n%s", len(lines), len(paths), out)
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, "['N', 10]") {
			t.Errorf("inferred output shape: %s; want ['N', 10]", l)
		}
	}
}
