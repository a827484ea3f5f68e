package train

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/results"
)

// Callback is called by Fit after each epoch's validation.
type Callback interface {
	// Name identifies the callback's state in a checkpoint; two callbacks
	// of one Fit must not share a name.
	Name() string
	OnEpochEnd(r *Run, e results.Epoch) error
}

// Stateful callbacks save and restore their state with checkpoints, so a
// resumed run takes the same decisions as an uninterrupted one.
type Stateful interface {
	MarshalState() ([]byte, error)
	UnmarshalState([]byte) error
}

// monitorValue returns the named quantity of an epoch.
func monitorValue(e results.Epoch, monitor string) (float64, error) {
	switch monitor {
	case "val_loss":
		return e.ValLoss, nil
	case "val_accuracy":
		return e.ValAccuracy, nil
	case "loss", "train_loss":
		return e.TrainLoss, nil
	case "accuracy", "train_accuracy":
		return e.TrainAccuracy, nil
	}
	return 0, fmt.Errorf("train: unknown monitor %q (want val_loss, val_accuracy, loss or accuracy)", monitor)
}

// CheckMonitor validates a monitor name and mode before training starts.
func CheckMonitor(monitor, mode string) error {
	if _, err := monitorValue(results.Epoch{}, monitor); err != nil {
		return err
	}
	_, err := optim.ModeFor(monitor, mode)
	return err
}

// EarlyStopping stops training when the monitored quantity has not improved
// by more than MinDelta for Patience epochs, as Keras' EarlyStopping does.
// With RestoreBestWeights the model gets back the weights (and BatchNorm
// statistics) of its best epoch when training stops early.
type EarlyStopping struct {
	Monitor            string  // "val_loss" (default) or "val_accuracy", ...
	MinDelta           float64 // minimum change counted as an improvement (0)
	Patience           int     // epochs without improvement before stopping (0)
	Mode               string  // "auto" (default), "min" or "max"
	RestoreBestWeights bool

	st esState
}

type esState struct {
	Wait         int         `json:"wait"`
	Started      bool        `json:"started"`
	Best         float64     `json:"best"`
	BestEpoch    int         `json:"best_epoch"`
	StoppedEpoch int         `json:"stopped_epoch"`
	BestWeights  [][]float32 `json:"best_weights,omitempty"`
}

// Name is "early_stopping".
func (c *EarlyStopping) Name() string { return "early_stopping" }

// BestEpoch is the 1-based epoch with the best monitored value (0 before any).
func (c *EarlyStopping) BestEpoch() int { return c.st.BestEpoch }

// StoppedEpoch is the 1-based epoch after which training stopped, or 0.
func (c *EarlyStopping) StoppedEpoch() int { return c.st.StoppedEpoch }

func (c *EarlyStopping) monitor() string {
	if c.Monitor == "" {
		return "val_loss"
	}
	return c.Monitor
}

// OnEpochEnd follows Keras' EarlyStopping.on_epoch_end.
func (c *EarlyStopping) OnEpochEnd(r *Run, e results.Epoch) error {
	v, err := monitorValue(e, c.monitor())
	if err != nil {
		return err
	}
	mode, err := optim.ModeFor(c.monitor(), c.Mode)
	if err != nil {
		return err
	}
	if c.RestoreBestWeights && c.st.BestWeights == nil {
		c.st.BestWeights = snapshot(r.Model, nil)
	}
	c.st.Wait++
	if !math.IsNaN(v) && (!c.st.Started || optim.Improved(mode, v, c.st.Best, math.Abs(c.MinDelta))) {
		c.st.Best, c.st.Started, c.st.BestEpoch = v, true, e.Epoch
		if c.RestoreBestWeights {
			c.st.BestWeights = snapshot(r.Model, c.st.BestWeights)
		}
		c.st.Wait = 0
		return nil
	}
	if c.st.Wait >= c.Patience && r.Epoch > 0 {
		c.st.StoppedEpoch = e.Epoch
		r.Stop = true
		restored := false
		if c.RestoreBestWeights && c.st.BestWeights != nil {
			restore(r.Model, c.st.BestWeights)
			restored = true
		}
		r.Event("early_stop", map[string]any{"epoch": e.Epoch, "best_epoch": c.st.BestEpoch,
			"monitor": c.monitor(), "best": c.st.Best, "restored_best_weights": restored})
	}
	return nil
}

func (c *EarlyStopping) MarshalState() ([]byte, error) { return json.Marshal(&c.st) }
func (c *EarlyStopping) UnmarshalState(b []byte) error { return json.Unmarshal(b, &c.st) }

// snapshot copies every parameter and state tensor of m into dst (reused
// when its shapes fit).
func snapshot(m *nn.Sequential, dst [][]float32) [][]float32 {
	ts := m.Tensors()
	if len(dst) != len(ts) {
		dst = make([][]float32, len(ts))
	}
	for i, p := range ts {
		dst[i] = append(dst[i][:0], p.Value.Data...)
	}
	return dst
}

func restore(m *nn.Sequential, src [][]float32) {
	for i, p := range m.Tensors() {
		if i < len(src) && len(src[i]) == len(p.Value.Data) {
			copy(p.Value.Data, src[i])
		}
	}
}

// ReduceLROnPlateau lowers the learning rate when the monitored quantity
// stops improving (Keras' defaults: factor 0.1, patience 10, min_delta
// 1e-4, cooldown 0, min_lr 0; see optim.Plateau).
type ReduceLROnPlateau struct {
	Monitor string // default "val_loss"
	Plateau *optim.Plateau
}

// NewReduceLROnPlateau returns the callback with Keras' defaults.
func NewReduceLROnPlateau(monitor string) *ReduceLROnPlateau {
	if monitor == "" {
		monitor = "val_loss"
	}
	return &ReduceLROnPlateau{Monitor: monitor, Plateau: optim.NewPlateau()}
}

func (c *ReduceLROnPlateau) Name() string { return "reduce_lr_on_plateau" }

func (c *ReduceLROnPlateau) OnEpochEnd(r *Run, e results.Epoch) error {
	v, err := monitorValue(e, c.Monitor)
	if err != nil {
		return err
	}
	lr := r.Optimizer.LR()
	newLR, reduced := c.Plateau.Observe(c.Monitor, v, lr)
	r.LRScale, r.MinLR = c.Plateau.Scale, c.Plateau.MinLR
	if reduced {
		r.Event("lr_reduced", map[string]any{"epoch": e.Epoch, "from": lr, "to": newLR, "monitor": c.Monitor})
	}
	return nil
}

func (c *ReduceLROnPlateau) MarshalState() ([]byte, error) { return json.Marshal(c.Plateau) }
func (c *ReduceLROnPlateau) UnmarshalState(b []byte) error { return json.Unmarshal(b, c.Plateau) }

// SaveFunc writes a model file; ModelCheckpoint and the CLI use one that
// writes safetensors with metadata.
type SaveFunc func(path string, m *nn.Sequential, e results.Epoch) error

// ModelCheckpoint saves the model after each epoch to Filepath, in which
// "{epoch}" (or "{epoch:02d}") is replaced by the 1-based epoch. With
// SaveBestOnly it saves only when the monitored quantity improved.
type ModelCheckpoint struct {
	Filepath     string
	Monitor      string // default "val_loss"
	Mode         string // "auto", "min", "max"
	SaveBestOnly bool
	Save         SaveFunc

	st mcState
}

type mcState struct {
	Started bool    `json:"started"`
	Best    float64 `json:"best"`
	Last    string  `json:"last"`
}

var epochField = regexp.MustCompile(`\{epoch(?::0?(\d+)d)?\}`)

// Path returns Filepath for a 1-based epoch.
func (c *ModelCheckpoint) Path(epoch int) string {
	return epochField.ReplaceAllStringFunc(c.Filepath, func(m string) string {
		w := epochField.FindStringSubmatch(m)[1]
		s := strconv.Itoa(epoch)
		if n, err := strconv.Atoi(w); err == nil {
			for len(s) < n {
				s = "0" + s
			}
		}
		return s
	})
}

// LastSaved is the path of the last file written, or "".
func (c *ModelCheckpoint) LastSaved() string { return c.st.Last }

func (c *ModelCheckpoint) Name() string { return "model_checkpoint" }

func (c *ModelCheckpoint) OnEpochEnd(r *Run, e results.Epoch) error {
	if c.Save == nil {
		return fmt.Errorf("train: ModelCheckpoint has no Save function")
	}
	monitor := c.Monitor
	if monitor == "" {
		monitor = "val_loss"
	}
	if c.SaveBestOnly {
		v, err := monitorValue(e, monitor)
		if err != nil {
			return err
		}
		mode, err := optim.ModeFor(monitor, c.Mode)
		if err != nil {
			return err
		}
		if math.IsNaN(v) || (c.st.Started && !optim.Improved(mode, v, c.st.Best, 0)) {
			return nil
		}
		c.st.Started, c.st.Best = true, v
	}
	if name := finiteWeights(r.Model); name != "" {
		return &DivergenceError{Epoch: e.Epoch, LR: e.LR, What: name}
	}
	path := c.Path(e.Epoch)
	if err := c.Save(path, r.Model, e); err != nil {
		return fmt.Errorf("train: model checkpoint: %w", err)
	}
	c.st.Last = path
	r.Event("model_saved", map[string]any{"epoch": e.Epoch, "path": path})
	return nil
}

func (c *ModelCheckpoint) MarshalState() ([]byte, error) { return json.Marshal(&c.st) }
func (c *ModelCheckpoint) UnmarshalState(b []byte) error { return json.Unmarshal(b, &c.st) }
