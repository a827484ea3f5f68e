package optim

import (
	"math"

	"github.com/rakam-ml/rakam/tensor"
)

// Adam is the Adam optimiser with bias correction; with Decoupled set it is
// AdamW. For each value p with gradient g at step t (from 1):
//
//	g ← g + WeightDecay·p                 (Adam: L2 term)
//	p ← p − lr·WeightDecay·p              (AdamW: decoupled decay)
//	m ← m + (1−β1)(g − m)
//	v ← v + (1−β2)(g² − v)
//	p ← p − α·m / (√v + ε),   α = lr·√(1−β2^t) / (1−β1^t)
//
// This is Keras' formulation (ε is added to the uncorrected √v, the
// "ε-hat" form of the paper's section 2); the defaults are Keras' too.
type Adam struct {
	Beta1, Beta2 float64
	Epsilon      float64
	WeightDecay  float64
	Decoupled    bool    // AdamW
	ClipNorm     float64 // global gradient norm limit; 0 = off

	lr    float64
	steps int64
	names []string
	sizes []int
	mv    [][][]float32 // [0] = m, [1] = v, each [param]
}

// NewAdam returns Adam with Keras' defaults and the given learning rate.
func NewAdam(lr float64) *Adam {
	return &Adam{lr: lr, Beta1: DefaultBeta1, Beta2: DefaultBeta2, Epsilon: DefaultEpsilon}
}

// NewAdamW returns AdamW with Keras' defaults (decay 0.004).
func NewAdamW(lr float64) *Adam {
	a := NewAdam(lr)
	a.Decoupled, a.WeightDecay = true, DefaultAdamWDecay
	return a
}

// Name is "adam" or "adamw".
func (o *Adam) Name() string {
	if o.Decoupled {
		return "adamw"
	}
	return "adam"
}

func (o *Adam) LR() float64      { return o.lr }
func (o *Adam) SetLR(lr float64) { o.lr = lr }
func (o *Adam) Steps() int64     { return o.steps }

// Step applies one Adam update.
func (o *Adam) Step(params []Param) error {
	if o.names == nil && len(params) > 0 {
		names, sizes, err := bindNames(params)
		if err != nil {
			return err
		}
		m := make([][]float32, len(params))
		v := make([][]float32, len(params))
		for i, n := range sizes {
			m[i] = make([]float32, n)
			v[i] = make([]float32, n)
		}
		o.names, o.sizes, o.mv = names, sizes, [][][]float32{m, v}
	} else if err := checkParams(o.names, o.sizes, params); err != nil {
		return err
	}
	if o.ClipNorm > 0 {
		ClipGlobalNorm(params, o.ClipNorm)
	}
	t := float64(o.steps + 1)
	alpha := float32(o.lr * math.Sqrt(1-math.Pow(o.Beta2, t)) / (1 - math.Pow(o.Beta1, t)))
	c1 := float32(1 - o.Beta1)
	c2 := float32(1 - o.Beta2)
	eps := float32(o.Epsilon)
	var l2, decay float32
	if o.Decoupled {
		decay = float32(1 - float64(o.lr*o.WeightDecay))
	} else {
		l2 = float32(o.WeightDecay)
	}
	for i := range params {
		p, g := params[i].Value, params[i].Grad
		g = g[:len(p)]
		m := o.mv[0][i][:len(p)]
		v := o.mv[1][i][:len(p)]
		l2 := l2
		if params[i].NoDecay {
			l2 = 0
		} else if o.Decoupled && o.WeightDecay != 0 {
			for j := range p {
				p[j] *= decay
			}
		}
		// g' = g + l2·p; m += (g'−m)·c1; v += (g'²−v)·c2; p −= alpha·m/(√v + eps)
		tensor.AdamStep(p, g, m, v, l2, c1, c2, alpha, eps)
	}
	o.steps++
	return nil
}
