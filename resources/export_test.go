package resources

// NewIndexRingsOnly returns an index that never takes the small-index scan shortcut, so tests
// check the ring search itself on small sets of units.
func NewIndexRingsOnly(opts ...IndexOption) *Index {
	x := NewIndex(opts...)
	x.scanBelow = 0
	return x
}
