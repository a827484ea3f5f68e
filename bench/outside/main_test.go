package main

import (
	"slices"
	"testing"

	"github.com/rakam-ml/rakam/internal/outside"
)

// TestSplitByDetail: samples grouped by detail, in set order within a
// group, the details ordered by their leading number.
func TestSplitByDetail(t *testing.T) {
	set := []outside.Sample{
		{Name: "a", Detail: "16x16"}, {Name: "b", Detail: "8x8"}, {Name: "c", Detail: "12x12"},
		{Name: "d", Detail: "8x8"}, {Name: "e", Detail: "16x16"}, {Name: "f", Detail: "8x8"},
	}
	details, groups := splitByDetail(set)
	if want := []string{"8x8", "12x12", "16x16"}; !slices.Equal(details, want) {
		t.Fatalf("details %v; want %v", details, want)
	}
	names := func(d string) (out []string) {
		for _, s := range groups[d] {
			out = append(out, s.Name)
		}
		return out
	}
	for d, want := range map[string][]string{"8x8": {"b", "d", "f"}, "12x12": {"c"}, "16x16": {"a", "e"}} {
		if got := names(d); !slices.Equal(got, want) {
			t.Errorf("%s: %v; want %v", d, got, want)
		}
	}
	if details, _ := splitByDetail([]outside.Sample{{Name: "x"}}); !slices.Equal(details, []string{""}) {
		t.Errorf("no details: %v; want one empty group", details)
	}
}
