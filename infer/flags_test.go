package infer

import (
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/nn"
)

// TestThresholdsAnswer: the flags follow the top probability against each
// threshold, strictly below flagging.
func TestThresholdsAnswer(t *testing.T) {
	th := Thresholds{NotDigitBelow: 0.4, UnsureBelow: 0.8}
	probs := func(top float32) []float32 {
		p := make([]float32, Classes)
		p[3] = top
		rest := (1 - top) / (Classes - 1)
		for i := range p {
			if i != 3 {
				p[i] = rest
			}
		}
		return p
	}
	for _, c := range []struct {
		top              float32
		notDigit, unsure bool
	}{{0.99, false, false}, {0.8, false, false}, {0.79, false, true}, {0.4, false, true}, {0.39, true, true}} {
		a := th.Answer(probs(c.top))
		if a.Label != 3 || a.NotDigit != c.notDigit || a.Unsure != c.unsure {
			t.Errorf("Answer(top %v) = label %d, not digit %v, unsure %v; want 3, %v, %v", c.top, a.Label, a.NotDigit, a.Unsure, c.notDigit, c.unsure)
		}
	}
}

// TestThresholdsFromMetadata: a model's saved thresholds are used, the
// defaults when it has none, Options override both, and bad values are
// refused with the key named.
func TestThresholdsFromMetadata(t *testing.T) {
	mk := func(meta map[string]string, opts *Options) (*Model, error) {
		m, err := nn.Build(nn.Spec{Input: []int{784}, Layers: []nn.LayerSpec{{Kind: "Dense", Units: 10}}}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return New(m, meta, opts)
	}
	m, err := mk(nil, nil)
	if err != nil || m.Thresholds() != DefaultThresholds {
		t.Errorf("no metadata: thresholds %+v, %v; want the defaults %+v", m.Thresholds(), err, DefaultThresholds)
	}
	tuned := Thresholds{NotDigitBelow: 0.3, UnsureBelow: 0.75}
	if m, err = mk(tuned.Meta(), nil); err != nil || m.Thresholds() != tuned {
		t.Errorf("metadata %v: thresholds %+v, %v; want %+v", tuned.Meta(), m.Thresholds(), err, tuned)
	}
	over := Thresholds{NotDigitBelow: 0.1, UnsureBelow: 0.2}
	if m, err = mk(tuned.Meta(), &Options{Thresholds: &over}); err != nil || m.Thresholds() != over {
		t.Errorf("Options.Thresholds: %+v, %v; want %+v", m.Thresholds(), err, over)
	}
	for _, c := range []struct {
		meta map[string]string
		opts *Options
		msg  string
	}{
		{map[string]string{MetaNotDigitBelow: "high"}, nil, MetaNotDigitBelow + ` = "high"`},
		{map[string]string{MetaUnsureBelow: "1.5"}, nil, "UnsureBelow = 1.5"},
		{map[string]string{MetaUnsureBelow: "NaN"}, nil, "UnsureBelow = NaN"},
		{nil, &Options{Thresholds: &Thresholds{NotDigitBelow: -1}}, "NotDigitBelow = -1"},
	} {
		if _, err := mk(c.meta, c.opts); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("New(meta %v) = %v; want an error saying %q", c.meta, err, c.msg)
		}
	}
}
