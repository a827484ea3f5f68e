package infer

import (
	"errors"
	"fmt"
	"image"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/nn"
)

// metaName is the metadata key of a model's name (the study's row name, or
// rakam train's --model).
const metaName = nn.MetaName

// Options tune a Model. The zero value gives the defaults.
type Options struct {
	// Concurrency is how many predictions may run at once, each on its
	// own replica of the model (default GOMAXPROCS). Callers beyond it
	// wait for a replica to come free.
	Concurrency int
	// Threads is each replica's thread budget (nn.Sequential.SetThreads):
	// how many goroutines one prediction's layers may use. 0 (the
	// default) keeps the model's own budget, which for a loaded model is
	// the process default (tensor.Threads()). Results do not depend on it.
	Threads int
	// Limits bound the images PredictBytes decodes (default
	// imageprep.DefaultLimits).
	Limits imageprep.Limits
	// Name names the model (default: its "rakam.name" metadata, else,
	// for Load, the file name without extension, else "model").
	Name string
	// Thresholds, when set, decide the answers' NotDigit and Unsure flags
	// (default: the model's own, from its metadata, else
	// DefaultThresholds).
	Thresholds *Thresholds
}

// Model is a trained model ready to predict, safe for concurrent use by
// any number of goroutines.
type Model struct {
	name     string
	meta     map[string]string
	limits   imageprep.Limits
	thresh   Thresholds
	base     *nn.Sequential
	maxBatch int
	slots    chan struct{} // one token per prediction running

	mu   sync.Mutex
	idle []*Runner // replicas not in use; the first runs the base model
}

// Prediction is the answer for one image.
type Prediction struct {
	// Label is the most probable digit; BlankLabel (-1) for a blank image.
	Label int `json:"label"`
	// Probabilities holds the ten class probabilities, digit 0 first
	// (none for a blank image).
	Probabilities []float32 `json:"probabilities"`
	// NotDigit says the image is probably not a digit at all: blank, a
	// letter, a scribble (see Thresholds).
	NotDigit bool `json:"not_digit"`
	// Unsure says the label may well be wrong: the model's top
	// probability is low (see Thresholds).
	Unsure bool `json:"unsure"`
}

// ImagePrediction is the answer for an image: the prediction and the
// 28x28 the model saw.
type ImagePrediction struct {
	Prediction
	// Digit is the image prepared the MNIST way (imageprep): its Pixels
	// were the model's input; Inverted reports a light background.
	Digit *imageprep.Digit `json:"-"`
}

// Load reads a model file (safetensors, as rakam train and rakam compare
// save it; nn.Load checks every part of it) and returns it ready to
// predict. opts may be nil for the defaults.
func Load(path string, opts *Options) (*Model, error) {
	m, meta, err := nn.Load(path)
	if err != nil {
		return nil, err
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Name == "" && meta[metaName] == "" {
		o.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	model, err := New(m, meta, &o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return model, nil
}

// New returns a Model around m, which must map 28x28 pixels to 10 classes
// (ErrModel otherwise), with its metadata meta (may be nil). The Model
// owns m from then on: it runs it and replicas of it, and the caller must
// not run or train m itself. opts may be nil for the defaults.
func New(m *nn.Sequential, meta map[string]string, opts *Options) (*Model, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Concurrency < 0 || o.Threads < 0 {
		return nil, fmt.Errorf("infer: Options.Concurrency %d and Threads %d; want 0 (the default) or more", o.Concurrency, o.Threads)
	}
	r, err := NewRunner(m)
	if err != nil {
		return nil, err
	}
	thresh, err := thresholdsFromMeta(meta, DefaultThresholds)
	if err != nil {
		return nil, err
	}
	if o.Thresholds != nil {
		if err := o.Thresholds.Validate(); err != nil {
			return nil, err
		}
		thresh = *o.Thresholds
	}
	if o.Concurrency == 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	if o.Threads > 0 {
		m.SetThreads(o.Threads)
	}
	if o.Name == "" {
		o.Name = meta[metaName]
	}
	if o.Name == "" {
		o.Name = "model"
	}
	return &Model{
		name:     o.Name,
		meta:     maps.Clone(meta),
		limits:   o.Limits,
		thresh:   thresh,
		base:     m,
		maxBatch: r.MaxBatch(),
		slots:    make(chan struct{}, o.Concurrency),
		idle:     []*Runner{r},
	}, nil
}

// Name is the model's name: Options.Name, else its "rakam.name" metadata,
// else the file name Load read it from, else "model".
func (m *Model) Name() string { return m.name }

// Metadata returns a copy of the metadata stored with the model.
func (m *Model) Metadata() map[string]string { return maps.Clone(m.meta) }

// Thresholds are the thresholds the model's answers are flagged by.
func (m *Model) Thresholds() Thresholds { return m.thresh }

// Answer is the prediction for one image's ten probabilities (a row of
// PredictBatch's result): its label and flags.
func (m *Model) Answer(probs []float32) Prediction { return m.thresh.Answer(probs) }

// MaxBatch is the most examples one forward pass takes (see MaxBatch).
func (m *Model) MaxBatch() int { return m.maxBatch }

// acquire waits for a free slot and returns an idle replica, building one
// (nn.Sequential.Replica: shared weights, own buffers) when every replica
// made so far is busy.
func (m *Model) acquire() *Runner {
	m.slots <- struct{}{}
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := len(m.idle); n > 0 {
		r := m.idle[n-1]
		m.idle = m.idle[:n-1]
		return r
	}
	// The base model's spec was checked by NewRunner, so the replica's
	// passes too.
	r, _ := NewRunner(m.base.Replica())
	return r
}

func (m *Model) release(r *Runner) {
	m.mu.Lock()
	m.idle = append(m.idle, r)
	m.mu.Unlock()
	<-m.slots
}

// PredictBatch returns the n×Classes probabilities (row-major) of the n
// examples of x (n*Pixels values in 0..1, row-major), computed in batches
// within the memory bound. The slice is the caller's.
func (m *Model) PredictBatch(x []float32, n int) ([]float32, error) {
	if err := checkPixels(x, n); err != nil {
		return nil, err
	}
	probs := make([]float32, n*Classes)
	r := m.acquire()
	defer m.release(r)
	if err := r.PredictInto(probs, x, n, 0); err != nil {
		return nil, err
	}
	return probs, nil
}

// Predict predicts the digit of one example: 784 pixels in 0..1,
// row-major, white digit on black, as MNIST's pixels divided by 255. An
// all-zero example has no ink: its answer is blank (BlankLabel, NotDigit).
func (m *Model) Predict(pixels []float32) (Prediction, error) {
	probs, err := m.PredictBatch(pixels, 1)
	if err != nil {
		return Prediction{}, err
	}
	if blankPixels(pixels) {
		return blankAnswer(), nil
	}
	return m.Answer(probs), nil
}

func blankPixels(x []float32) bool {
	for _, v := range x {
		if v != 0 {
			return false
		}
	}
	return true
}

// PredictImage prepares img the MNIST way (imageprep.FromImage: grayscale,
// a light background inverted, cropped to the ink, scaled to 20x20 and
// centred by mass in 28x28) and predicts its digit. An image with no ink
// (imageprep.ErrBlank) is answered, not refused: BlankLabel, NotDigit set,
// and a nil Digit. Other errors wrap imageprep's.
func (m *Model) PredictImage(img image.Image) (ImagePrediction, error) {
	return m.predictDigit(imageprep.FromImage(img))
}

// PredictBytes decodes an encoded image (PNG, JPEG, GIF, BMP, TIFF or
// WebP, within Options.Limits; a JPEG's EXIF orientation is applied),
// prepares it as PredictImage does and predicts its digit: what rakam
// predict does with a file. A blank image is answered as PredictImage
// says; errors wrap imageprep's (imageprep.ErrFormat, ErrTooLarge,
// ErrCorrupt, ...).
func (m *Model) PredictBytes(data []byte) (ImagePrediction, error) {
	return m.predictDigit(m.limits.Prepare(data))
}

// PredictFile reads an image file (at most Options.Limits' MaxBytes) and
// predicts its digit as PredictBytes does. Errors name the file.
func (m *Model) PredictFile(path string) (ImagePrediction, error) {
	f, err := os.Open(path)
	if err != nil {
		return ImagePrediction{}, fmt.Errorf("infer: %w", err)
	}
	defer f.Close()
	data, err := m.limits.ReadAll(f)
	if err != nil {
		return ImagePrediction{}, fmt.Errorf("infer: %s: %w", path, err)
	}
	p, err := m.PredictBytes(data)
	if err != nil {
		return ImagePrediction{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// predictDigit predicts a prepared digit, or answers a blank one.
func (m *Model) predictDigit(d *imageprep.Digit, err error) (ImagePrediction, error) {
	if errors.Is(err, imageprep.ErrBlank) {
		return ImagePrediction{Prediction: blankAnswer()}, nil
	}
	if err != nil {
		return ImagePrediction{}, fmt.Errorf("infer: %w", err)
	}
	p, err := m.Predict(d.Pixels)
	if err != nil {
		return ImagePrediction{}, err
	}
	return ImagePrediction{Prediction: p, Digit: d}, nil
}

// checkPixels checks that x holds n examples of Pixels values in 0..1.
func checkPixels(x []float32, n int) error {
	if n <= 0 || len(x) != n*Pixels {
		return fmt.Errorf("%w: %d pixel values for %d examples; want %d per example (28x28, row-major)", ErrInput, len(x), n, Pixels)
	}
	for i, v := range x {
		if !(v >= 0 && v <= 1) { // also catches NaN
			return fmt.Errorf("%w: pixel %d of example %d is %v; want a value in 0..1", ErrInput, i%Pixels, i/Pixels, v)
		}
	}
	return nil
}
