package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

func formatParam(v any) string {
	if x, ok := numeric(v); ok {
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
	return fmt.Sprint(v)
}

// formatParams writes params as "k=v, k=v" in key order.
func formatParams(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + formatParam(m[k])
	}
	return strings.Join(parts, ", ")
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
