package optim

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Schedule gives the learning rate for a global step: the number of
// batches trained before the one about to be trained (0 for the first).
// Schedules are pure functions of the step, so resuming at a step gives
// exactly the learning rates of an uninterrupted run.
type Schedule interface {
	LR(step int) float64
}

// Constant is a fixed learning rate.
type Constant float64

func (c Constant) LR(int) float64 { return float64(c) }

// StepDecay multiplies the base rate by Gamma every Every steps:
// lr = Base·Gamma^⌊step/Every⌋ (PyTorch's StepLR, counted in steps).
type StepDecay struct {
	Base, Gamma float64
	Every       int
}

func (s StepDecay) LR(step int) float64 {
	if s.Every <= 0 {
		return s.Base
	}
	return s.Base * math.Pow(s.Gamma, float64(step/s.Every))
}

// Exponential decays smoothly: lr = Base·Gamma^(step/Period), so Gamma is
// the factor per Period steps (one epoch when built by name).
type Exponential struct {
	Base, Gamma float64
	Period      int
}

func (e Exponential) LR(step int) float64 {
	if e.Period <= 0 {
		return e.Base
	}
	return e.Base * math.Pow(e.Gamma, float64(step)/float64(e.Period))
}

// Cosine rises linearly from Base/Warmup to Base over the first Warmup
// steps, then follows half a cosine from Base down to Min at step Total
// (and stays at Min after).
type Cosine struct {
	Base, Min     float64
	Warmup, Total int
}

func (c Cosine) LR(step int) float64 {
	if step < c.Warmup {
		return c.Base * float64(step+1) / float64(c.Warmup)
	}
	span := c.Total - c.Warmup
	if span <= 0 {
		return c.Base
	}
	p := math.Min(float64(step-c.Warmup)/float64(span), 1)
	return c.Min + float64((c.Base-c.Min)*0.5*(1+math.Cos(math.Pi*p)))
}

// OneCycle is Smith and Topin's one-cycle policy as PyTorch's OneCycleLR
// computes it (two phases, cosine annealing): from Max/DivFactor up to Max
// over the first PctStart of Total steps, then down to
// Max/(DivFactor·FinalDivFactor) at step Total−1.
type OneCycle struct {
	Max                       float64
	Total                     int
	PctStart                  float64
	DivFactor, FinalDivFactor float64
}

func cosAnneal(start, end, pct float64) float64 {
	return end + float64((start-end)/2*(math.Cos(math.Pi*pct)+1))
}

func (o OneCycle) LR(step int) float64 {
	initial := o.Max / o.DivFactor
	final := initial / o.FinalDivFactor
	end1 := float64(o.PctStart*float64(o.Total)) - 1
	end2 := float64(o.Total - 1)
	s := math.Min(float64(step), end2)
	if s <= end1 {
		if end1 <= 0 {
			return o.Max
		}
		return cosAnneal(initial, o.Max, s/end1)
	}
	if end2 <= end1 {
		return final
	}
	return cosAnneal(o.Max, final, (s-end1)/(end2-end1))
}

// ScheduleSpec is a parsed schedule description "name[:key=value,...]",
// for example "cosine:warmup=1" or "step:every=3,gamma=0.5". Lengths (every,
// warmup) are in epochs and may be fractional.
type ScheduleSpec struct {
	Name   string
	Params map[string]float64
}

// scheduleKeys lists each schedule's parameters and their defaults.
var scheduleKeys = map[string]map[string]float64{
	"constant":    {},
	"step":        {"every": 5, "gamma": 0.1},
	"exponential": {"gamma": 0.9},
	"cosine":      {"warmup": 0, "min": 0},
	"onecycle":    {"pct": 0.3, "div": 25, "final_div": 1e4},
	"plateau": {"factor": 0.1, "patience": 10, "min_delta": 1e-4, "cooldown": 0, "min_lr": 0,
		"mode": 0}, // mode: 0 auto, 1 min, 2 max
}

// ScheduleNames lists the schedule names ParseSchedule accepts.
func ScheduleNames() []string {
	n := make([]string, 0, len(scheduleKeys))
	for k := range scheduleKeys {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// ParseSchedule parses "name[:key=value,...]"; unknown names or keys and
// bad values are errors that list what is allowed. Missing keys take their
// defaults.
func ParseSchedule(spec string) (ScheduleSpec, error) {
	name, rest, hasRest := strings.Cut(strings.TrimSpace(spec), ":")
	name = strings.ToLower(strings.TrimSpace(name))
	name = strings.NewReplacer("-", "", "_", "").Replace(name) // "one-cycle", "one_cycle"
	if name == "" {
		name = "constant"
	}
	keys, ok := scheduleKeys[name]
	if !ok {
		return ScheduleSpec{}, fmt.Errorf("optim: unknown schedule %q (known: %s)", name, strings.Join(ScheduleNames(), ", "))
	}
	out := ScheduleSpec{Name: name, Params: make(map[string]float64, len(keys))}
	for k, v := range keys {
		out.Params[k] = v
	}
	if hasRest && strings.TrimSpace(rest) != "" {
		for _, kv := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k = strings.ToLower(strings.TrimSpace(k))
			if !ok {
				return ScheduleSpec{}, fmt.Errorf("optim: schedule %s: %q is not key=value", name, kv)
			}
			if _, known := keys[k]; !known {
				return ScheduleSpec{}, fmt.Errorf("optim: schedule %s has no parameter %q (has: %s)", name, k, keyList(keys))
			}
			v = strings.TrimSpace(v)
			if name == "plateau" && k == "mode" {
				m, err := parseMode(v)
				if err != nil {
					return ScheduleSpec{}, err
				}
				out.Params[k] = float64(m)
				continue
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
				return ScheduleSpec{}, fmt.Errorf("optim: schedule %s: %s=%q is not a finite number ≥ 0", name, k, v)
			}
			out.Params[k] = f
		}
	}
	if err := out.check(); err != nil {
		return ScheduleSpec{}, err
	}
	return out, nil
}

func keyList(m map[string]float64) string {
	if len(m) == 0 {
		return "none"
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

func (s ScheduleSpec) check() error {
	p := s.Params
	bad := func(k, want string) error {
		return fmt.Errorf("optim: schedule %s: %s=%v; want %s", s.Name, k, p[k], want)
	}
	switch s.Name {
	case "step":
		if p["every"] <= 0 {
			return bad("every", "> 0 epochs")
		}
		if p["gamma"] <= 0 || p["gamma"] > 1 {
			return bad("gamma", "in (0, 1]")
		}
	case "exponential":
		if p["gamma"] <= 0 || p["gamma"] > 1 {
			return bad("gamma", "in (0, 1]")
		}
	case "onecycle":
		if p["pct"] <= 0 || p["pct"] >= 1 {
			return bad("pct", "in (0, 1)")
		}
		if p["div"] < 1 {
			return bad("div", "≥ 1")
		}
		if p["final_div"] < 1 {
			return bad("final_div", "≥ 1")
		}
	case "plateau":
		if p["factor"] <= 0 || p["factor"] >= 1 {
			return bad("factor", "in (0, 1)")
		}
		if p["patience"] != math.Trunc(p["patience"]) || p["cooldown"] != math.Trunc(p["cooldown"]) {
			return fmt.Errorf("optim: schedule plateau: patience and cooldown must be whole epochs")
		}
	}
	return nil
}

// String formats the spec back into the form ParseSchedule reads.
func (s ScheduleSpec) String() string {
	if len(s.Params) == 0 {
		return s.Name
	}
	ks := make([]string, 0, len(s.Params))
	for k := range s.Params {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	b.WriteString(s.Name)
	for i, k := range ks {
		if i == 0 {
			b.WriteByte(':')
		} else {
			b.WriteByte(',')
		}
		if s.Name == "plateau" && k == "mode" {
			b.WriteString("mode=" + [...]string{"auto", "min", "max"}[int(s.Params[k])%3])
			continue
		}
		b.WriteString(k + "=" + strconv.FormatFloat(s.Params[k], 'g', -1, 64))
	}
	return b.String()
}

// Build returns the schedule for a base learning rate and a run of epochs
// epochs of stepsPerEpoch batches. "plateau" builds a Constant schedule;
// the reduction itself is done by a Plateau (see Spec.Plateau) from the
// validation metric after each epoch.
func (s ScheduleSpec) Build(base float64, stepsPerEpoch, epochs int) (Schedule, error) {
	if err := checkLR(base); err != nil {
		return nil, err
	}
	if stepsPerEpoch <= 0 || epochs <= 0 {
		return nil, fmt.Errorf("optim: schedule %s needs positive steps per epoch and epochs (got %d, %d)", s.Name, stepsPerEpoch, epochs)
	}
	p := s.Params
	total := stepsPerEpoch * epochs
	switch s.Name {
	case "", "constant", "plateau":
		return Constant(base), nil
	case "step":
		return StepDecay{Base: base, Gamma: p["gamma"], Every: max(1, int(math.Round(p["every"]*float64(stepsPerEpoch))))}, nil
	case "exponential":
		return Exponential{Base: base, Gamma: p["gamma"], Period: stepsPerEpoch}, nil
	case "cosine":
		w := int(math.Round(p["warmup"] * float64(stepsPerEpoch)))
		if w >= total {
			return nil, fmt.Errorf("optim: schedule cosine: warm-up of %v epochs is not shorter than the %d-epoch run", p["warmup"], epochs)
		}
		if p["min"] >= base {
			return nil, fmt.Errorf("optim: schedule cosine: min=%v is not below the learning rate %v", p["min"], base)
		}
		return Cosine{Base: base, Min: p["min"], Warmup: w, Total: total}, nil
	case "onecycle":
		return OneCycle{Max: base, Total: total, PctStart: p["pct"], DivFactor: p["div"], FinalDivFactor: p["final_div"]}, nil
	}
	return nil, fmt.Errorf("optim: unknown schedule %q", s.Name)
}

// Plateau returns the reduce-on-plateau controller a "plateau" spec
// describes, or nil for every other schedule.
func (s ScheduleSpec) Plateau() *Plateau {
	if s.Name != "plateau" {
		return nil
	}
	p := NewPlateau()
	p.Factor = s.Params["factor"]
	p.Patience = int(s.Params["patience"])
	p.MinDelta = s.Params["min_delta"]
	p.Cooldown = int(s.Params["cooldown"])
	p.MinLR = s.Params["min_lr"]
	p.Mode = [...]string{"auto", "min", "max"}[int(s.Params["mode"])%3]
	return p
}

func parseMode(v string) (int, error) {
	switch strings.ToLower(v) {
	case "auto":
		return 0, nil
	case "min":
		return 1, nil
	case "max":
		return 2, nil
	}
	return 0, fmt.Errorf("optim: mode %q; want auto, min or max", v)
}
