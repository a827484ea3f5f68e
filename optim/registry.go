package optim

import (
	"errors"
	"fmt"
	"strings"
)

// registered is one optimiser ByName knows: its name, its default learning
// rate (Keras' where Keras has one) and how to build it from the settings
// the Options left.
type registered struct {
	name  string
	lr    float64
	build func(lr float64, s settings) (Optimizer, error)
}

// optimizers is the one table of optimisers, sorted by name: ByName, Names
// and DefaultLR all read it, so adding an optimiser is one entry here.
var optimizers = [...]registered{
	{name: "adam", lr: 0.001, build: buildAdam(false)},
	{name: "adamw", lr: 0.001, build: buildAdam(true)},
	{name: "momentum", lr: 0.01, build: buildSGD("momentum", false)},
	{name: "nesterov", lr: 0.01, build: buildSGD("nesterov", true)},
	{name: "sgd", lr: 0.01, build: buildSGD("", false)},
}

// lookup returns the table entry of name (any case), or nil.
func lookup(name string) *registered {
	for i := range optimizers {
		if strings.EqualFold(optimizers[i].name, name) {
			return &optimizers[i]
		}
	}
	return nil
}

// Names lists the names ByName accepts, sorted.
func Names() []string {
	names := make([]string, len(optimizers))
	for i, o := range optimizers {
		names[i] = o.name
	}
	return names
}

// DefaultLR returns the usual learning rate for an optimiser name (Keras'
// defaults: 0.01 for SGD, 0.001 for Adam), or 0 for an unknown name.
func DefaultLR(name string) float64 {
	if o := lookup(name); o != nil {
		return o.lr
	}
	return 0
}

// ByName returns a fresh optimiser:
//
//	"sgd"       plain SGD (momentum 0 unless Momentum is given)
//	"momentum"  SGD with momentum 0.9
//	"nesterov"  SGD with Nesterov momentum 0.9
//	"adam"      Adam, β = (0.9, 0.999), ε = 1e-7
//	"adamw"     AdamW, as Adam with decoupled weight decay 0.004
//
// The name is matched in any case; DefaultLR gives each one's usual
// learning rate.
func ByName(name string, lr float64, opts ...Option) (Optimizer, error) {
	if err := checkLR(lr); err != nil {
		return nil, err
	}
	s := settings{beta1: DefaultBeta1, beta2: DefaultBeta2, epsilon: DefaultEpsilon}
	for _, o := range opts {
		if err := o(&s); err != nil {
			return nil, err
		}
	}
	o := lookup(name)
	if o == nil {
		return nil, fmt.Errorf("optim: unknown optimizer %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return o.build(lr, s)
}

// buildSGD builds SGD; a non-empty name asks for momentum (the default 0.9
// unless Momentum gave another), with Nesterov's variant if nesterov.
func buildSGD(name string, nesterov bool) func(lr float64, s settings) (Optimizer, error) {
	return func(lr float64, s settings) (Optimizer, error) {
		sg := &SGD{lr: lr, WeightDecay: s.weightDecay, ClipNorm: s.clipNorm, Momentum: s.momentum}
		if name != "" {
			if !s.hasMomentum {
				sg.Momentum = DefaultMomentum
			}
			sg.Nesterov = nesterov
			if sg.Momentum == 0 {
				return nil, fmt.Errorf("optim: %s needs a momentum > 0", name)
			}
		}
		return sg, nil
	}
}

// buildAdam builds Adam, or AdamW (decoupled weight decay, 0.004 unless
// WeightDecay gave another) if decoupled.
func buildAdam(decoupled bool) func(lr float64, s settings) (Optimizer, error) {
	return func(lr float64, s settings) (Optimizer, error) {
		a := &Adam{lr: lr, Beta1: s.beta1, Beta2: s.beta2, Epsilon: s.epsilon,
			WeightDecay: s.weightDecay, ClipNorm: s.clipNorm}
		if decoupled {
			a.Decoupled = true
			if !s.hasDecay {
				a.WeightDecay = DefaultAdamWDecay
			}
		}
		if s.hasMomentum {
			return nil, errors.New("optim: momentum is an SGD setting; use Betas for Adam")
		}
		return a, nil
	}
}
