package optim

import "github.com/rakam-ml/rakam/tensor"

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum and L2 weight decay, in PyTorch's formulation. For each value p
// with gradient g:
//
//	g ← g + WeightDecay·p
//	b ← Momentum·b + g            (b starts at 0; skipped when Momentum = 0)
//	d ← g + Momentum·b if Nesterov, else b (or g without momentum)
//	p ← p − lr·d
//
// With a constant learning rate this is the same trajectory as Keras'
// SGD(momentum, nesterov).
type SGD struct {
	Momentum    float64
	Nesterov    bool
	WeightDecay float64
	ClipNorm    float64 // global gradient norm limit; 0 = off

	lr       float64
	steps    int64
	names    []string
	sizes    []int
	velocity [][][]float32 // [0][param] when Momentum > 0
}

// NewSGD returns SGD with the given learning rate and momentum (0 for plain
// SGD). Use ByName to have the arguments checked.
func NewSGD(lr, momentum float64, nesterov bool) *SGD {
	return &SGD{lr: lr, Momentum: momentum, Nesterov: nesterov}
}

// Name is "sgd", "momentum" or "nesterov".
func (o *SGD) Name() string {
	switch {
	case o.Momentum > 0 && o.Nesterov:
		return "nesterov"
	case o.Momentum > 0:
		return "momentum"
	}
	return "sgd"
}

func (o *SGD) LR() float64      { return o.lr }
func (o *SGD) SetLR(lr float64) { o.lr = lr }
func (o *SGD) Steps() int64     { return o.steps }

func (o *SGD) bind(params []Param) error {
	names, sizes, err := bindNames(params)
	if err != nil {
		return err
	}
	o.names, o.sizes = names, sizes
	if o.Momentum > 0 {
		v := make([][]float32, len(params))
		for i, n := range sizes {
			v[i] = make([]float32, n)
		}
		o.velocity = [][][]float32{v}
	}
	return nil
}

// Step applies one SGD update.
func (o *SGD) Step(params []Param) error {
	if o.names == nil && len(params) > 0 {
		if err := o.bind(params); err != nil {
			return err
		}
	} else if err := checkParams(o.names, o.sizes, params); err != nil {
		return err
	}
	if o.Momentum > 0 && o.velocity == nil && len(params) > 0 {
		return fmtState("momentum %v set after steps without momentum; create a new optimizer", o.Momentum)
	}
	if o.ClipNorm > 0 {
		ClipGlobalNorm(params, o.ClipNorm)
	}
	lr := float32(o.lr)
	wd := float32(o.WeightDecay)
	mu := float32(o.Momentum)
	for i := range params {
		p, g := params[i].Value, params[i].Grad
		g = g[:len(p)]
		wd := wd
		if params[i].NoDecay {
			wd = 0
		}
		if mu == 0 {
			tensor.SGDStep(p, g, lr, wd) // p −= lr·(g + wd·p)
			continue
		}
		b := o.velocity[0][i]
		b = b[:len(p)]
		if o.Nesterov {
			for j := range p {
				d := g[j] + float32(wd*p[j])
				b[j] = float32(mu*b[j]) + d
				p[j] -= float32(lr * (d + float32(mu*b[j])))
			}
		} else {
			for j := range p {
				d := g[j] + float32(wd*p[j])
				b[j] = float32(mu*b[j]) + d
				p[j] -= float32(lr * b[j])
			}
		}
	}
	o.steps++
	return nil
}
