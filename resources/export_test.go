package resources

import "math"

// NewIndexRingsOnly returns an index that never takes the small-index scan shortcut, so tests
// check the ring search itself on small sets of units.
func NewIndexRingsOnly(opts ...IndexOption) *Index {
	x := NewIndex(opts...)
	x.scanBelow = 0
	return x
}

// NewIndexScanOnly returns an index that always answers by its scan of every unit, the path
// small indexes take, so benchmarks can compare it with the rings.
func NewIndexScanOnly(opts ...IndexOption) *Index {
	x := NewIndex(opts...)
	x.scanBelow = math.MaxInt
	return x
}
