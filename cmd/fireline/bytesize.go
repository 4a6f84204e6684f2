package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseByteSize reads a size as operators write it: a whole number of bytes, or with a unit
// K, KB, KiB, M, MB, MiB, G, GB, GiB, T, TB, TiB (all of them powers of 1024: a disk's reserve
// need not be exact, and a mix of both conventions would be a trap), e.g. 512MiB or 2G.
func parseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToUpper(strings.TrimSpace(t[len(num):]))
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 512MiB, 2GiB, 0)", s)
	}
	shift := map[string]int{"": 0, "B": 0, "K": 10, "KB": 10, "KIB": 10, "M": 20, "MB": 20, "MIB": 20,
		"G": 30, "GB": 30, "GIB": 30, "T": 40, "TB": 40, "TIB": 40}
	sh, ok := shift[unit]
	if !ok {
		return 0, fmt.Errorf("%q is not a size: unit %q is none of K, M, G, T (KiB, MiB…)", s, t[len(num):])
	}
	if n > math.MaxInt64>>sh {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n << sh, nil
}
