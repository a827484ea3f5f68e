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

// torchScript rebuilds a model from its Spec in PyTorch, copies rakam's
// weights into it, runs one training-mode forward pass and the
// label-smoothed cross-entropy, and prints the logits, the loss, every
// gradient (input included) and the updated BatchNorm statistics under
// rakam's names.
const torchScript = `
import json, sys
import torch
import torch.nn as tnn
import torch.nn.functional as F
torch.set_num_threads(1)
d = json.load(open(sys.argv[1]))
spec = d["spec"]
shape = list(spec["input"])
mods = []
for l in spec["layers"]:
    k = l["kind"]
    if k == "Conv2D":
        m = tnn.Conv2d(shape[0], l["filters"], l["kernel"], stride=l.get("stride", 1), padding=l.get("pad", 0))
        shape = [l["filters"], (shape[1] + 2*l.get("pad", 0) - l["kernel"])//l.get("stride", 1) + 1,
                 (shape[2] + 2*l.get("pad", 0) - l["kernel"])//l.get("stride", 1) + 1]
    elif k == "BatchNorm":
        m = (tnn.BatchNorm2d if len(shape) == 3 else tnn.BatchNorm1d)(shape[0], eps=l.get("eps", 1e-5), momentum=l.get("momentum", 0.1))
    elif k == "MaxPool2D":
        kk = l.get("kernel", 2); s = l.get("stride", kk)
        m = tnn.MaxPool2d(kk, s)
        shape = [shape[0], (shape[1] - kk)//s + 1, (shape[2] - kk)//s + 1]
    elif k == "Dense":
        n = 1
        for v in shape: n *= v
        m = tnn.Linear(n, l["units"]); shape = [l["units"]]
    elif k == "Flatten":
        m = tnn.Flatten(); n = 1
        for v in shape: n *= v
        shape = [n]
    else:
        m = {"ReLU": tnn.ReLU, "Tanh": tnn.Tanh, "Sigmoid": tnn.Sigmoid, "GELU": tnn.GELU}[k]()
    mods.append(m)
model = tnn.Sequential(*mods)
rename = {"gamma": "weight", "beta": "bias"}
def tname(ours):
    _, i, p = ours.split(".", 2)
    return i + "." + rename.get(p, p)
sd = model.state_dict()
with torch.no_grad():
    for ours, v in d["tensors"].items():
        t = torch.tensor(v["data"], dtype=torch.float32).reshape(v["shape"])
        if len(v["shape"]) == 2:  # Dense: rakam (In, Out), PyTorch (Out, In)
            t = t.t()
        sd[tname(ours)].copy_(t)
model.train()
x = torch.tensor(d["x"], dtype=torch.float32).reshape([-1] + spec["input"]).requires_grad_(True)
logits = model(x)
loss = F.cross_entropy(logits, torch.tensor(d["labels"]), label_smoothing=d["smoothing"])
loss.backward()
out = {"logits": logits.detach().flatten().tolist(), "loss": loss.item(),
       "dx": x.grad.flatten().tolist(), "grads": {}, "state": {}}
params = dict(model.named_parameters())
buffers = dict(model.named_buffers())
for ours in d["tensors"]:
    p = params.get(tname(ours))
    if p is not None:
        g = p.grad
        if g.dim() == 2: g = g.t()
        out["grads"][ours] = g.flatten().tolist()
    else:
        out["state"][ours] = buffers[tname(ours)].flatten().tolist()
print(json.dumps(out))
`

// TestAgainstPyTorch compares a Conv2D/BatchNorm/MaxPool/Dense model's
// training-mode outputs, loss, gradients and updated BatchNorm statistics
// with PyTorch's on the same weights and inputs. It skips when no python3
// with torch is found (Debian: apt-get install python3-torch).
func TestAgainstPyTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	py := pythonWith(t, "torch")
	spec := Spec{Input: []int{2, 9, 8}, Layers: []LayerSpec{
		{Kind: "Conv2D", Filters: 4, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "ReLU"},
		{Kind: "MaxPool2D"},
		{Kind: "Conv2D", Filters: 3, Kernel: 3, Stride: 2, Pad: 1}, {Kind: "BatchNorm", Momentum: 0.3, Eps: 1e-3}, {Kind: "GELU"},
		{Kind: "Flatten"}, {Kind: "Dense", Units: 6}, {Kind: "BatchNorm"}, {Kind: "Tanh"},
		{Kind: "Dense", Units: 5}, {Kind: "Sigmoid"}, {Kind: "Dense", Units: 4},
	}}
	m, err := Build(spec, 21)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(21, 22))
	for _, p := range m.Tensors() { // non-trivial BatchNorm parameters and statistics
		if strings.Contains(p.Name, "gamma") || strings.Contains(p.Name, "running_var") {
			for i := range p.Value.Data {
				p.Value.Data[i] = 0.5 + rng.Float32()
			}
		} else if strings.Contains(p.Name, "beta") || strings.Contains(p.Name, "running_mean") || strings.Contains(p.Name, "bias") {
			for i := range p.Value.Data {
				p.Value.Data[i] = rng.Float32() - 0.5
			}
		}
	}
	type jt struct {
		Shape []int     `json:"shape"`
		Data  []float32 `json:"data"`
	}
	in := struct {
		Spec      Spec          `json:"spec"`
		Tensors   map[string]jt `json:"tensors"`
		X         []float32     `json:"x"`
		Labels    []int         `json:"labels"`
		Smoothing float32       `json:"smoothing"`
	}{Spec: spec, Tensors: map[string]jt{}, Labels: []int{0, 3, 1, 2, 3}, Smoothing: 0.1}
	for _, p := range m.Tensors() {
		in.Tensors[p.Name] = jt{p.Value.Shape, append([]float32(nil), p.Value.Data...)}
	}
	x := randTensor(rng, 5, 2*9*8)
	in.X = x.Data
	dir := t.TempDir()
	b, _ := json.Marshal(in)
	os.WriteFile(filepath.Join(dir, "in.json"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "check.py"), []byte(strings.TrimSpace(torchScript)+"\n"), 0o644)
	out, err := exec.Command(py, filepath.Join(dir, "check.py"), filepath.Join(dir, "in.json")).Output()
	if err != nil {
		t.Fatalf("PyTorch script: %v\n%s", err, out)
	}
	var want struct {
		Logits []float64            `json:"logits"`
		Loss   float64              `json:"loss"`
		Dx     []float64            `json:"dx"`
		Grads  map[string][]float64 `json:"grads"`
		State  map[string][]float64 `json:"state"`
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("PyTorch output: %v", err)
	}

	ce := SoftmaxCrossEntropy{Smoothing: 0.1}
	labels := []uint8{0, 3, 1, 2, 3}
	logits := m.Forward(x, true)
	loss, g, err := ce.Forward(logits, labels)
	if err != nil {
		t.Fatal(err)
	}
	dx := m.BackwardInput(g)
	check := func(name string, got []float32, want []float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %d values; PyTorch has %d", name, len(got), len(want))
			return
		}
		if e := relErr(f64(got), want); e > 1e-4 {
			t.Errorf("%s: relative difference from PyTorch %.3g\nrakam   %v\nPyTorch %v", name, e, head(f64(got)), head(want))
		}
	}
	check("logits", logits.Data, want.Logits)
	if math.Abs(loss-want.Loss) > 1e-5*math.Max(1, want.Loss) {
		t.Errorf("loss = %.7g; PyTorch %.7g", loss, want.Loss)
	}
	check("input gradient", dx.Data, want.Dx)
	for _, p := range m.Params() {
		check(p.Name+" gradient", p.Grad.Data, want.Grads[p.Name])
	}
	for _, p := range m.State() {
		check(p.Name, p.Value.Data, want.State[p.Name])
	}
	if len(want.Grads) != len(m.Params()) || len(want.State) != len(m.State()) {
		t.Errorf("compared %d gradients and %d statistics; want %d and %d", len(want.Grads), len(want.State), len(m.Params()), len(m.State()))
	}
}
