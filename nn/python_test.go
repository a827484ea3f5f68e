package nn

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readerScript reads a saved model with testdata/safetensors_reader.py
// (nothing but the Python standard library and NumPy, following the
// safetensors format as documented in docs/nn.md; the directory holding it
// is argv[3]) and prints the logits of an MLP for the inputs in argv[2].
const readerScript = `
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[3])
from safetensors_reader import read
w, meta = read(sys.argv[1])
spec = json.loads(meta["rakam.spec"])
x = np.array(json.loads(open(sys.argv[2]).read()), dtype=np.float32)
for i, l in enumerate(spec["layers"]):
    if l["kind"] == "Dense":
        x = x @ w["layers.%d.weight" % i] + w["layers.%d.bias" % i]
    elif l["kind"] == "ReLU":
        x = np.maximum(x, 0)
    elif l["kind"] == "BatchNorm":
        p = lambda s: w["layers.%d.%s" % (i, s)]
        x = (x - p("running_mean")) / np.sqrt(p("running_var") + l.get("eps", 1e-5)) * p("gamma") + p("beta")
    elif l["kind"] == "Dropout":
        pass
    else:
        raise SystemExit("unsupported " + l["kind"])
print(json.dumps({"logits": x.tolist(), "version": meta.get("rakam.version")}))
`

// TestPythonReadsSavedModel checks that a plain NumPy reader written from
// the format's description opens a saved MLP and computes the same logits.
// It skips when python3 or NumPy is missing.
func TestPythonReadsSavedModel(t *testing.T) {
	py := pythonWith(t, "numpy")
	spec := Spec{Input: []int{784}, Layers: []LayerSpec{
		{Kind: "Dense", Units: 32}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "Dropout", Rate: 0.2}, {Kind: "Dense", Units: 10},
	}}
	m, err := Build(spec, 5)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	m.Forward(randTensor(rng, 16, 784), true) // move the BatchNorm statistics
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := Save(path, m, map[string]string{MetaVersion: "py-test"}); err != nil {
		t.Fatal(err)
	}
	x := randTensor(rng, 3, 784)
	rows := make([][]float32, 3)
	for i := range rows {
		rows[i] = x.Data[i*784 : (i+1)*784]
	}
	xb, _ := json.Marshal(rows)
	xpath := filepath.Join(dir, "x.json")
	os.WriteFile(xpath, xb, 0o644)
	script := filepath.Join(dir, "read.py")
	os.WriteFile(script, []byte(strings.TrimSpace(readerScript)+"\n"), 0o644)
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, script, path, xpath, testdata).CombinedOutput()
	if err != nil {
		t.Fatalf("python reader: %v\n%s", err, out)
	}
	var res struct {
		Logits  [][]float64 `json:"logits"`
		Version string      `json:"version"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	if res.Version != "py-test" {
		t.Errorf("python read version %q; want py-test", res.Version)
	}
	y := m.Forward(x, false)
	for i := 0; i < 3; i++ {
		for j := 0; j < 10; j++ {
			if d := math.Abs(res.Logits[i][j] - float64(y.Data[i*10+j])); d > 1e-4 {
				t.Fatalf("logit [%d][%d]: python %g, rakam %g", i, j, res.Logits[i][j], y.Data[i*10+j])
			}
		}
	}
}

// pythonWith returns a python3 that can import module, trying the one on
// PATH and then Debian's /usr/bin/python3 (where apt installs NumPy and
// PyTorch), or skips the test.
func pythonWith(t *testing.T, module string) string {
	t.Helper()
	var tried []string
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		py, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		tried = append(tried, py)
		if exec.Command(py, "-c", "import "+module).Run() == nil {
			return py
		}
	}
	t.Skipf("no python3 with %s (tried %v); on Debian: apt-get install python3-%s", module, tried, module)
	return ""
}
