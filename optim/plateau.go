package optim

import (
	"fmt"
	"math"
	"strings"
)

// Plateau reduces the learning rate when a monitored metric has stopped
// improving, as Keras' ReduceLROnPlateau does, with its defaults (factor
// 0.1, patience 10, min_delta 1e-4, cooldown 0, min_lr 0, mode auto).
//
// It keeps a Scale (the product of the factors applied so far); the
// trainer multiplies its schedule's rate by Scale and clamps it at MinLR,
// which for a constant schedule is exactly Keras' behaviour. Every field is
// exported so a checkpoint can save and restore it as JSON.
type Plateau struct {
	Mode     string  `json:"mode"` // "auto", "min" or "max"
	Factor   float64 `json:"factor"`
	Patience int     `json:"patience"`
	MinDelta float64 `json:"min_delta"`
	Cooldown int     `json:"cooldown"`
	MinLR    float64 `json:"min_lr"`

	Started         bool    `json:"started"` // Best holds a value
	Best            float64 `json:"best"`
	Wait            int     `json:"wait"`
	CooldownCounter int     `json:"cooldown_counter"`
	Scale           float64 `json:"scale"`
}

// NewPlateau returns a Plateau with Keras' defaults.
func NewPlateau() *Plateau {
	return &Plateau{Mode: "auto", Factor: 0.1, Patience: 10, MinDelta: 1e-4, Scale: 1}
}

// ModeFor resolves mode "auto" for a monitored quantity as Keras does:
// "max" when its name contains "acc", else "min".
func ModeFor(monitor, mode string) (string, error) {
	switch strings.ToLower(mode) {
	case "min", "max":
		return strings.ToLower(mode), nil
	case "", "auto":
		if strings.Contains(monitor, "acc") {
			return "max", nil
		}
		return "min", nil
	}
	return "", fmt.Errorf("optim: mode %q; want auto, min or max", mode)
}

// Improved reports whether current beats best by more than minDelta in
// the given direction ("min" or "max"). NaN never improves.
func Improved(mode string, current, best, minDelta float64) bool {
	if mode == "max" {
		return current > best+minDelta
	}
	return current < best-minDelta
}

// Observe takes the monitored value at the end of an epoch and the learning
// rate in use, and returns the learning rate for the next epoch and whether
// it was reduced.
func (p *Plateau) Observe(monitor string, current, lr float64) (float64, bool) {
	mode, err := ModeFor(monitor, p.Mode)
	if err != nil {
		mode = "min"
	}
	if p.CooldownCounter > 0 {
		p.CooldownCounter--
		p.Wait = 0
	}
	if !math.IsNaN(current) && (!p.Started || Improved(mode, current, p.Best, p.MinDelta)) {
		p.Best, p.Started = current, true
		p.Wait = 0
		return lr, false
	}
	if p.CooldownCounter > 0 {
		return lr, false
	}
	p.Wait++
	if p.Wait < p.Patience || lr <= p.MinLR {
		return lr, false
	}
	newLR := math.Max(lr*p.Factor, p.MinLR)
	p.Scale *= p.Factor
	p.CooldownCounter = p.Cooldown
	p.Wait = 0
	return newLR, true
}

// Apply clamps a scheduled learning rate with the plateau's reductions:
// max(lr·Scale, MinLR) once a reduction happened, lr before.
func (p *Plateau) Apply(lr float64) float64 {
	if p == nil || p.Scale == 1 || p.Scale == 0 {
		return lr
	}
	return math.Max(lr*p.Scale, p.MinLR)
}
