package onnx

import (
	"errors"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/nn"
)

// TestEveryKindMapped: every layer kind nn can build has an ONNX mapping,
// and nothing else does.
func TestEveryKindMapped(t *testing.T) {
	for _, k := range nn.Kinds() {
		if layerMappings[k] == nil {
			t.Errorf("layer kind %s has no ONNX mapping", k)
		}
	}
	if got, want := len(layerMappings), len(nn.Kinds()); got != want {
		t.Errorf("%d kinds mapped; nn has %d", got, want)
	}
}

// A layer that reports a mapped kind but is another type is refused.
type fakeReLU struct{ nn.Tanh }

func (*fakeReLU) Kind() string { return "ReLU" }

func TestMappingChecksType(t *testing.T) {
	g := &graph{}
	_, err := g.layer(2, &fakeReLU{}, "x", []int{4}, []int{4})
	if err == nil || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `layer kind "ReLU" is a *onnx.fakeReLU; its ONNX mapping takes a *nn.ReLU`) {
		t.Errorf("layer(fakeReLU) = %v; want an unsupported-kind error naming both types", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("mapping ReLU twice did not panic")
			}
		}()
		mapLayer("ReLU", func(*graph, *nn.ReLU, layerAt) (string, error) { return "", nil })
	}()
}
