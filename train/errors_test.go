package train

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestErrorMessages checks that each error names where training stopped,
// what was wrong and what was (not) saved.
func TestErrorMessages(t *testing.T) {
	cases := []struct {
		err  error
		want []string
	}{
		{&DivergenceError{Epoch: 3, Batch: 17, Loss: 2.5e4, LR: 0.5, What: "loss"},
			[]string{"epoch 3, batch 17", "loss 2.5e+04 is above the divergence limit", "learning rate 0.5", "no model saved"}},
		{&DivergenceError{Epoch: 1, Batch: 2, Loss: math.NaN(), LR: 0.1, What: "loss"},
			[]string{"epoch 1, batch 2", "loss is NaN", "no model saved"}},
		{&DivergenceError{Epoch: 1, Batch: 2, Loss: math.Inf(1), LR: 0.1, What: "loss"},
			[]string{"loss is +Inf"}},
		{&DivergenceError{Epoch: 4, Batch: 0, LR: 0.01, What: "dense1.weight"},
			[]string{"epoch 4", "parameter dense1.weight is not finite", "no model saved"}},
		{&InterruptedError{Epoch: 2, Batch: 40},
			[]string{"interrupted at epoch 2 after 40 batches", "nothing saved"}},
		{&InterruptedError{Epoch: 2, Batch: 40, Checkpoint: "ck"},
			[]string{"checkpoint saved in ck", "--resume ck"}},
	}
	for _, tc := range cases {
		msg := tc.err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q does not say %q", msg, w)
			}
		}
	}
}

// TestEventsNonFinite checks that NaN and ±Inf fields become strings, so
// that every event line stays valid JSON.
func TestEventsNonFinite(t *testing.T) {
	var b bytes.Buffer
	ev := &eventWriter{w: &b}
	ev.emit("batch", map[string]any{"loss": math.NaN(), "hi": math.Inf(1), "lo": math.Inf(-1), "lr": 0.5, "epoch": 2})
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("event line %q is not JSON: %v", b.String(), err)
	}
	want := map[string]any{"event": "batch", "loss": "NaN", "hi": "+Inf", "lo": "-Inf", "lr": 0.5, "epoch": 2.0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v; want %v", k, got[k], v)
		}
	}
	if _, ok := got["time"].(string); !ok {
		t.Error("the event has no time")
	}
	var nilEv *eventWriter
	nilEv.emit("batch", nil) // no writer: nothing happens, no panic
}

func TestCheckMonitor(t *testing.T) {
	for _, ok := range [][2]string{{"val_loss", ""}, {"val_accuracy", "auto"}, {"loss", "min"}, {"accuracy", "max"}} {
		if err := CheckMonitor(ok[0], ok[1]); err != nil {
			t.Errorf("CheckMonitor(%q, %q) = %v; want nil", ok[0], ok[1], err)
		}
	}
	if err := CheckMonitor("val_los", ""); err == nil || !strings.Contains(err.Error(), `unknown monitor "val_los"`) {
		t.Errorf("CheckMonitor of a misspelt monitor = %v", err)
	}
	if err := CheckMonitor("val_loss", "lowest"); err == nil || !strings.Contains(err.Error(), `mode "lowest"`) {
		t.Errorf("CheckMonitor of a bad mode = %v", err)
	}
}

// TestModelCheckpointState checks that the state a checkpoint carries for
// --resume (best value, last file) round-trips.
func TestModelCheckpointState(t *testing.T) {
	var a ModelCheckpoint
	if a.Name() != "model_checkpoint" || a.LastSaved() != "" {
		t.Fatalf("fresh ModelCheckpoint: name %q, last %q", a.Name(), a.LastSaved())
	}
	a.st.Started, a.st.Best, a.st.Last = true, 0.123, "m-epoch03.safetensors"
	b, err := a.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	var c ModelCheckpoint
	if err := c.UnmarshalState(b); err != nil {
		t.Fatal(err)
	}
	if c.st != a.st || c.LastSaved() != "m-epoch03.safetensors" {
		t.Errorf("state after a round trip: %+v; want %+v", c.st, a.st)
	}
	if err := c.UnmarshalState([]byte("{")); err == nil {
		t.Error("UnmarshalState of broken JSON succeeded")
	}
}
