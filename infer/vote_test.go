package infer

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// Two members, two images, three classes: image 0 is a tie of votes (0
// against 1) that the average breaks for 1; image 1 is unanimous for 2.
func TestVote(t *testing.T) {
	members := [][]float32{
		{0.5, 0.4, 0.1, 0.1, 0.2, 0.7},
		{0.1, 0.8, 0.1, 0.2, 0.2, 0.6},
	}
	for _, tc := range []struct {
		method string
		want   []int
	}{{Hard, []int{1, 2}}, {Soft, []int{1, 2}}} {
		got, avg, err := Vote(tc.method, members, 2, 3)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Vote(%s) = %v, %v; want %v", tc.method, got, err, tc.want)
		}
		if len(avg) != 6 || math.Abs(float64(avg[1])-0.6) > 1e-6 {
			t.Errorf("Vote(%s) average %v; want the members' mean", tc.method, avg)
		}
	}
	for _, tc := range []struct {
		method  string
		members [][]float32
		want    string
	}{
		{"median", members, `unknown vote method "median"`},
		{Hard, nil, "no members"},
		{Soft, [][]float32{members[0], members[1][:5]}, "member 1 has 5 probabilities; want 2×3"},
	} {
		if _, _, err := Vote(tc.method, tc.members, 2, 3); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Vote(%s, %d members) = %v; want an error naming %q", tc.method, len(tc.members), err, tc.want)
		}
	}
}
