package nn

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Layer kinds register themselves, each in its own file, the way image
// formats do with image.RegisterFormat: the file that defines a layer also
// says how a LayerSpec of its kind is checked, what shape it gives, how it
// is built and what scratch memory it needs. Spec.Validate, Spec.Shapes,
// Build, Sequential.ValuesPerExample and LayerSpec.Abbrev loop over the
// registry; none of them names a kind. The ONNX mapping of each kind
// registers in package onnx (nn does not import protobuf).

// layerKind is what a layer kind registers.
type layerKind struct {
	// name is the kind as it appears in a Spec and as Layer.Kind returns it.
	name string
	// group places the kind in Kinds' order.
	group kindGroup
	// fields lists the LayerSpec fields, by JSON name, that apply to the
	// kind; every other field must be zero. The fields are checked before
	// check is called.
	fields []string
	// check validates l's hyperparameters for the per-example input shape
	// in and returns the per-example output shape and how many float32
	// values the layer saves (parameters and state). Its errors are
	// wrapped with the layer's index and kind.
	check func(l LayerSpec, in []int) (out []int, values int, err error)
	// build constructs the layer of a spec that check accepted.
	build func(l LayerSpec, at buildAt) Layer
	// scratch, when not nil, returns the float32 values per example the
	// layer holds beyond its output (a convolution's unfolded input), for
	// ValuesPerExample's memory bound.
	scratch func(l LayerSpec, in, out []int) int
	// abbrev, when not nil, renders the layer in a compact architecture
	// label such as "784-128-BN-10"; kinds without one are left out.
	abbrev func(l LayerSpec) string
}

// kindGroup orders the kinds as Keras' layer documentation does.
type kindGroup int

const (
	coreKinds kindGroup = iota
	convolutionKinds
	poolingKinds
	normalizationKinds
	regularizationKinds
	activationKinds
	reshapingKinds
)

// buildAt is what a builder gets besides its LayerSpec.
type buildAt struct {
	in    []int  // per-example input shape, checked
	seed  uint64 // the model's seed
	index int    // the layer's position in the model
}

// rng returns the layer's own generator for its initial weights: PCG
// stream (seed, index), so inserting a parameterless layer elsewhere does
// not change another layer's weights.
func (a buildAt) rng() *rand.Rand { return rand.New(rand.NewPCG(a.seed, uint64(a.index))) }

// layerKinds holds the registered kinds, in registration order.
var layerKinds []*layerKind

// registerLayer adds a layer kind; each layer's file calls it from init.
// A duplicate name or an unknown field is a programmer error and panics.
func registerLayer(k layerKind) {
	if k.name == "" || k.check == nil || k.build == nil {
		panic("nn: registerLayer: a kind needs a name, check and build")
	}
	if lookupLayer(k.name) != nil {
		panic("nn: registerLayer: kind " + k.name + " registered twice")
	}
	for _, f := range k.fields {
		if !slices.ContainsFunc(specFields, func(sf specField) bool { return sf.name == f }) {
			panic(fmt.Sprintf("nn: registerLayer: %s: no LayerSpec field %q", k.name, f))
		}
	}
	layerKinds = append(layerKinds, &k)
}

// lookupLayer returns the registered kind called name, or nil.
func lookupLayer(name string) *layerKind {
	for _, k := range layerKinds {
		if k.name == name {
			return k
		}
	}
	return nil
}

// Kinds lists every layer kind Build understands, in documentation order:
// core (Dense), convolution, pooling, normalisation, regularisation,
// activation and reshaping layers, in that order, and within a group in the
// order their file registers them.
func Kinds() []string {
	ks := slices.Clone(layerKinds)
	slices.SortStableFunc(ks, func(a, b *layerKind) int { return cmp.Compare(a.group, b.group) })
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.name
	}
	return names
}

// Abbrev renders the layer as a part of a compact architecture label, e.g.
// "128" for a Dense of 128 units, "conv3x3x16", "pool", "BN" or "drop0.2";
// it is "" for kinds that such labels leave out (activations, Flatten) and
// for unknown kinds.
func (l LayerSpec) Abbrev() string {
	if k := lookupLayer(l.Kind); k != nil && k.abbrev != nil {
		return k.abbrev(l)
	}
	return ""
}

// sameShape is the check of kinds whose output has the input's shape and
// who save nothing.
func sameShape(_ LayerSpec, in []int) ([]int, int, error) {
	return append([]int(nil), in...), 0, nil
}
