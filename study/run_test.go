package study

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRecipeJSONUnchanged: a study recipe's JSON, which a saved model's
// rakam.study_run holds and a rerun compares, has no keys for the settings
// only rakam train sets, so models saved before those settings existed are
// still reused.
func TestRecipeJSONUnchanged(t *testing.T) {
	for _, z := range Zoo() {
		b, err := json.Marshal(FromZoo(z, 1))
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"WeightDecay", "ClipNorm"} {
			if strings.Contains(string(b), key) {
				t.Errorf("json.Marshal(FromZoo(%s)) = %s; want no %s", z.Name, b, key)
			}
		}
	}
	wd := 0.0
	b, _ := json.Marshal(Recipe{Name: "x", WeightDecay: &wd, ClipNorm: 1})
	if !strings.Contains(string(b), `"WeightDecay":0`) || !strings.Contains(string(b), `"ClipNorm":1`) {
		t.Errorf("json.Marshal(recipe with weight decay 0, clip 1) = %s; want both kept", b)
	}
}
