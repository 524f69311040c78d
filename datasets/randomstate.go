package datasets

// RandomState is a port of NumPy's legacy generator numpy.random.RandomState
// (MT19937), giving the same streams as NumPy for the methods below, so that
// code written against scikit-learn with an integer random_state can be
// reproduced bit for bit. Verified against NumPy 1.24 (see the tests).
//
// A RandomState is not safe for concurrent use.
type RandomState struct {
	mt       [mtN]uint32
	pos      int
	hasGauss bool
	gauss    float64
}

const (
	mtN         = 624
	mtM         = 397
	mtMatrixA   = 0x9908b0df
	mtUpperMask = 0x80000000
	mtLowerMask = 0x7fffffff
)

// NewRandomState returns a generator seeded like NumPy's
// np.random.RandomState(seed) for an integer seed.
func NewRandomState(seed uint32) *RandomState {
	r := &RandomState{}
	r.Seed(seed)
	return r
}

// Seed resets the generator as NumPy's RandomState.seed(seed) does for an
// integer: MT19937's init_genrand (Knuth's multiplier 1812433253), and the
// cached Gaussian is dropped.
func (r *RandomState) Seed(seed uint32) {
	r.mt[0] = seed
	for i := 1; i < mtN; i++ {
		prev := r.mt[i-1]
		r.mt[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	r.pos = mtN
	r.hasGauss = false
	r.gauss = 0
}

// reload regenerates the 624 words of state.
func (r *RandomState) reload() {
	mt := &r.mt
	var i int
	for i = 0; i < mtN-mtM; i++ {
		y := (mt[i] & mtUpperMask) | (mt[i+1] & mtLowerMask)
		mt[i] = mt[i+mtM] ^ (y >> 1) ^ (-(y & 1) & mtMatrixA)
	}
	for ; i < mtN-1; i++ {
		y := (mt[i] & mtUpperMask) | (mt[i+1] & mtLowerMask)
		mt[i] = mt[i+(mtM-mtN)] ^ (y >> 1) ^ (-(y & 1) & mtMatrixA)
	}
	y := (mt[mtN-1] & mtUpperMask) | (mt[0] & mtLowerMask)
	mt[mtN-1] = mt[mtM-1] ^ (y >> 1) ^ (-(y & 1) & mtMatrixA)
	r.pos = 0
}

// Uint32 returns the next 32-bit output of MT19937 (NumPy's next_uint32).
func (r *RandomState) Uint32() uint32 {
	if r.pos == mtN {
		r.reload()
	}
	y := r.mt[r.pos]
	r.pos++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// Uint64 returns two 32-bit outputs joined, the first as the high half
// (NumPy's next_uint64 for MT19937).
func (r *RandomState) Uint64() uint64 {
	hi := uint64(r.Uint32())
	return hi<<32 | uint64(r.Uint32())
}

// RandomSample returns a float64 in [0, 1) with 53 random bits, like
// RandomState.random_sample(): (a>>5, b>>6) from two 32-bit draws.
func (r *RandomState) RandomSample() float64 {
	a := r.Uint32() >> 5
	b := r.Uint32() >> 6
	return (float64(float64(a)*67108864.0) + float64(b)) / 9007199254740992.0
}

// StandardNormal returns a standard normal deviate with NumPy's legacy
// polar (Marsaglia) method, which produces two values per accepted pair and
// caches the second for the next call (legacy_gauss). The logarithm is a
// port of the one NumPy links against (glibc's), so that the values match.
func (r *RandomState) StandardNormal() float64 {
	if r.hasGauss {
		r.hasGauss = false
		g := r.gauss
		r.gauss = 0
		return g
	}
	var x1, x2, r2 float64
	for {
		x1 = float64(2.0*r.RandomSample()) - 1.0
		x2 = float64(2.0*r.RandomSample()) - 1.0
		r2 = float64(x1*x1) + float64(x2*x2)
		if r2 < 1.0 && r2 != 0.0 {
			break
		}
	}
	f := sqrt(float64(-2.0*glibcLog(r2)) / r2)
	r.gauss = float64(f * x1)
	r.hasGauss = true
	return float64(f * x2)
}

// Normal returns loc + scale*StandardNormal(), like RandomState.normal
// called for one value; NumPy's normal(loc, scale, size) draws its values
// in this way one after the other in C order.
func (r *RandomState) Normal(loc, scale float64) float64 {
	return loc + float64(scale*r.StandardNormal())
}

// Interval returns a uniform integer in [0, max] by masking and rejection,
// like NumPy's random_interval (used by the legacy shuffle).
func (r *RandomState) Interval(max uint64) uint64 {
	if max == 0 {
		return 0
	}
	mask := max
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	mask |= mask >> 32
	if max <= 0xffffffff {
		for {
			v := uint64(r.Uint32()) & mask
			if v <= max {
				return v
			}
		}
	}
	for {
		v := r.Uint64() & mask
		if v <= max {
			return v
		}
	}
}

// Shuffle permutes n elements in place with swap, exactly as the legacy
// RandomState.shuffle does for a 1-d array: Fisher–Yates from the end, with
// j = Interval(i) for i = n-1 down to 1.
func (r *RandomState) Shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i >= 1; i-- {
		j := int(r.Interval(uint64(i)))
		swap(i, j)
	}
}

// ShuffleInts shuffles x in place like RandomState.shuffle(x).
func (r *RandomState) ShuffleInts(x []int) {
	r.Shuffle(len(x), func(i, j int) { x[i], x[j] = x[j], x[i] })
}

// Permutation returns a shuffled 0..n-1, like RandomState.permutation(n).
func (r *RandomState) Permutation(n int) []int {
	p := make([]int, max(n, 0))
	for i := range p {
		p[i] = i
	}
	r.ShuffleInts(p)
	return p
}

// PermuteInts returns a shuffled copy of x, like RandomState.permutation(x)
// for a 1-d array.
func (r *RandomState) PermuteInts(x []int) []int {
	p := append([]int(nil), x...)
	r.ShuffleInts(p)
	return p
}

// ChoiceWithoutReplacement returns size distinct values drawn from 0..n-1,
// like RandomState.choice(n, size, replace=False) without p: the first size
// entries of Permutation(n). It returns nil if size is not in 0..n.
func (r *RandomState) ChoiceWithoutReplacement(n, size int) []int {
	if size < 0 || size > n {
		return nil
	}
	return r.Permutation(n)[:size]
}
