package infer

import (
	"fmt"
	"strconv"
)

// Metadata keys of the thresholds a model was tuned with ('rakam compare'
// chooses them for its real-input model on tuning sets and saves them with
// it). Each holds a decimal top probability.
const (
	MetaNotDigitBelow = "rakam.not_digit_below"
	MetaUnsureBelow   = "rakam.unsure_below"
)

// Thresholds turn an answer's top probability into its two flags: the
// image is probably not a digit at all (a letter, a scribble) when the top
// probability is below NotDigitBelow, and the label may well be wrong when
// it is below UnsureBelow. Both are in 0..1; a zero threshold never flags.
type Thresholds struct {
	NotDigitBelow float32 `json:"not_digit_below"`
	UnsureBelow   float32 `json:"unsure_below"`
}

// DefaultThresholds are used for a model saved without thresholds of its
// own (every model but the study's real-input one): a top probability
// under 0.5 is not a digit, under 0.9 not sure. They were not tuned for
// the model; tuned ones are in its metadata (MetaNotDigitBelow,
// MetaUnsureBelow).
var DefaultThresholds = Thresholds{NotDigitBelow: 0.5, UnsureBelow: 0.9}

// Validate reports a threshold outside 0..1.
func (t Thresholds) Validate() error {
	for _, v := range []struct {
		name string
		v    float32
	}{{"NotDigitBelow", t.NotDigitBelow}, {"UnsureBelow", t.UnsureBelow}} {
		if !(v.v >= 0 && v.v <= 1) {
			return fmt.Errorf("infer: threshold %s = %v; want a probability in 0..1", v.name, v.v)
		}
	}
	return nil
}

// Meta returns the thresholds as model metadata (for nn.Save).
func (t Thresholds) Meta() map[string]string {
	return map[string]string{
		MetaNotDigitBelow: strconv.FormatFloat(float64(t.NotDigitBelow), 'g', -1, 32),
		MetaUnsureBelow:   strconv.FormatFloat(float64(t.UnsureBelow), 'g', -1, 32),
	}
}

// ThresholdsOf returns the thresholds a model's metadata holds (nn.Load's
// second result), DefaultThresholds when it has none, and an error naming
// the key when they are unreadable or out of range: what Load and New use.
func ThresholdsOf(meta map[string]string) (Thresholds, error) {
	return thresholdsFromMeta(meta, DefaultThresholds)
}

// thresholdsFromMeta reads a model's thresholds: def when it has none, an
// error when they are present but unreadable or out of range.
func thresholdsFromMeta(meta map[string]string, def Thresholds) (Thresholds, error) {
	t := def
	for _, k := range []struct {
		key string
		dst *float32
	}{{MetaNotDigitBelow, &t.NotDigitBelow}, {MetaUnsureBelow, &t.UnsureBelow}} {
		s, ok := meta[k.key]
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return Thresholds{}, fmt.Errorf("infer: model metadata %s = %q: not a number", k.key, s)
		}
		*k.dst = float32(v)
	}
	if err := t.Validate(); err != nil {
		return Thresholds{}, fmt.Errorf("%w (from the model's metadata)", err)
	}
	return t, nil
}

// Answer is the prediction for one image's ten probabilities: the most
// probable digit and the flags its top probability earns.
func (t Thresholds) Answer(probs []float32) Prediction {
	label := Argmax(probs)
	top := probs[label]
	return Prediction{Label: label, Probabilities: probs, NotDigit: top < t.NotDigitBelow, Unsure: top < t.UnsureBelow}
}

// BlankLabel is the Label of the answer for an image with no ink: there is
// no digit to name, so it is -1, with no probabilities and NotDigit set.
const BlankLabel = -1

// blankAnswer is the answer for an image imageprep finds blank.
func blankAnswer() Prediction { return Prediction{Label: BlankLabel, NotDigit: true} }
