package train

// Restoring a parsed checkpoint: the model's tensors and the optimiser's
// moments are told apart, checked against the run and copied in.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rakam-ml/rakam/nn"
)

// splitTensors takes the optimiser's moments out of ts, as its state
// names them, and keeps the rest as the model's tensors.
func (c *Checkpoint) splitTensors(ts []*nn.Param) error {
	byName := make(map[string]*nn.Param, len(ts))
	for _, p := range ts {
		byName[p.Name] = p
	}
	st := &c.opt
	if len(st.Params) > 0 && len(st.Slots) > 0 {
		if len(st.Slots)*len(st.Params) > len(ts) {
			return fmt.Errorf("the optimizer state names %d parameters with %d moments each; the file has %d tensors", len(st.Params), len(st.Slots), len(ts))
		}
		st.Moments = make([][][]float32, len(st.Slots))
		for si, slot := range st.Slots {
			st.Moments[si] = make([][]float32, len(st.Params))
			for pi, p := range st.Params {
				name := optimTensor(p.Name, slot)
				t, ok := byName[name]
				if !ok {
					return fmt.Errorf("tensor %q of the optimizer state is missing", name)
				}
				if len(t.Value.Data) != p.Size {
					return fmt.Errorf("tensor %q has %d values; parameter %s has %d", name, len(t.Value.Data), p.Name, p.Size)
				}
				st.Moments[si][pi] = t.Value.Data
				delete(byName, name)
			}
		}
	}
	for _, p := range ts {
		if _, ok := byName[p.Name]; !ok {
			continue
		}
		if strings.HasPrefix(p.Name, optimPrefix) {
			return fmt.Errorf("tensor %q is not part of the optimizer state", p.Name)
		}
		c.model = append(c.model, p)
	}
	return nil
}

// restore loads the checkpoint into a freshly built trainer.
func (c *Checkpoint) restore(t *trainer, r *Run, cbs []Callback) error {
	m := &c.meta
	ts := t.model.Tensors()
	if len(ts) != len(c.model) {
		return fmt.Errorf("train: checkpoint %s holds %d model tensors; the model has %d (different model?)", c.Path, len(c.model), len(ts))
	}
	byName := make(map[string]*nn.Param, len(c.model))
	for _, p := range c.model {
		byName[p.Name] = p
	}
	for _, p := range ts {
		ct, ok := byName[p.Name]
		if !ok {
			return fmt.Errorf("train: checkpoint %s has no tensor %s; the model's is %v (different model?)", c.Path, p.Name, p.Value.Shape)
		}
		if !slices.Equal(ct.Value.Shape, p.Value.Shape) {
			return fmt.Errorf("train: checkpoint %s: tensor %s is %v; the model has %v (different model?)",
				c.Path, p.Name, ct.Value.Shape, p.Value.Shape)
		}
	}
	if c.opt.Kind != t.opt.Name() {
		return fmt.Errorf("train: checkpoint %s was trained with %s, not %s", c.Path, c.opt.Kind, t.opt.Name())
	}
	if len(c.opt.Params) > 0 {
		if len(c.opt.Params) != len(t.params) {
			return fmt.Errorf("train: checkpoint %s: the optimizer state holds %d parameters; the model has %d (different model?)", c.Path, len(c.opt.Params), len(t.params))
		}
		for i, p := range c.opt.Params {
			if p.Name != t.params[i].Name || p.Size != len(t.params[i].Value) {
				return fmt.Errorf("train: checkpoint %s: optimizer parameter %d is %s (%d values); the model's is %s (%d values) (different model?)",
					c.Path, i, p.Name, p.Size, t.params[i].Name, len(t.params[i].Value))
			}
		}
	}
	rls := t.model.RandomLayers()
	if len(rls) != len(m.RNG) {
		return fmt.Errorf("train: checkpoint %s holds %d random-number states; the model has %d random layers", c.Path, len(m.RNG), len(rls))
	}
	if err := t.opt.SetState(c.opt); err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", c.Path, err)
	}
	for i, rl := range rls {
		if err := rl.UnmarshalRNG(m.RNG[i]); err != nil {
			return fmt.Errorf("train: checkpoint %s: random layer %d: %w", c.Path, i, err)
		}
	}
	for _, cb := range cbs {
		s, ok := cb.(Stateful)
		if !ok {
			continue
		}
		if st, ok := m.Callbacks[cb.Name()]; ok {
			if err := s.UnmarshalState(st); err != nil {
				return fmt.Errorf("train: checkpoint %s: callback %s: %w", c.Path, cb.Name(), err)
			}
		}
	}
	for _, p := range ts {
		copy(p.Value.Data, byName[p.Name].Value.Data)
	}
	t.epoch, t.batch, t.step = m.Epoch, m.Batch, m.Step
	t.lossSum, t.correct, t.seen, t.outliers, t.epochSeconds = m.Progress.LossSum, m.Progress.Correct, m.Progress.Seen, m.Progress.Outliers, m.Progress.EpochSeconds
	r.LRScale, r.MinLR = m.LR.LRScale, m.LR.MinLR
	if r.LRScale == 0 {
		r.LRScale = 1
	}
	r.Stop = m.History.StoppedEarly
	return nil
}
