package study

import (
	"testing"

	"github.com/rakam-ml/rakam/data"
)

// TestDescribe: the architecture labels of results.json, built from the
// labels each layer kind registers in nn.
func TestDescribe(t *testing.T) {
	tests := []struct {
		zoo     string
		augment bool
		want    string
	}{
		{"advanced", false, "784-128-BN-drop0.2-64-BN-drop0.2-10"},
		{"cnn", true, "784-conv3x3x16-BN-pool-conv3x3x32-BN-pool-conv3x3x64-BN-pool-128-BN-drop0.25-10 +augment"},
		{"cnn-fast", false, "784-conv5x5x20-pool-BN-conv3x3x32-pool-BN-256-10"},
	}
	for _, tc := range tests {
		z, err := ZooByName(tc.zoo)
		if err != nil {
			t.Fatal(err)
		}
		r := Recipe{Spec: z.Spec}
		if tc.augment {
			r.Augment = &data.Augment{}
		}
		if got := describe(r); got != tc.want {
			t.Errorf("describe(%s) = %q; want %q", tc.zoo, got, tc.want)
		}
	}
}
