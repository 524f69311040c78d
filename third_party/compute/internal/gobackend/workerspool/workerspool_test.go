package workerspool

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomlx/compute/support/testutil"
	"github.com/gomlx/compute/support/xsync"
)

func TestPool_Saturate(t *testing.T) {
	// Test saturation.
	pool := New()
	wantTasks := 5
	pool.SetMaxParallelism(wantTasks)

	var count atomic.Int32
	doneNewTasks := xsync.NewLatch()
	doneTest := xsync.NewLatch()

	go func() {
		pool.Saturate(func() {
			got := count.Add(1)
			runtime.Gosched()
			if int(got) == wantTasks {
				doneNewTasks.Trigger()
				return
			}
			doneNewTasks.Wait()
		})
		doneTest.Trigger()
	}()

	select {
	case <-doneTest.WaitChan():
		// Success
	case <-time.After(100 * time.Millisecond):
		t.Fatal("Timeout before all tasks were executed.")
	}
	if int(count.Load()) != wantTasks {
		t.Fatalf("Expected %d tasks, got %d", wantTasks, count.Load())
	}

	// Test No Parallelism
	pool.SetMaxParallelism(0)
	count.Store(0)
	pool.Saturate(func() { count.Add(1) })
	if ok, diff := testutil.IsEqual(int32(1), count.Load()); !ok {
		t.Errorf("Pool with parallelism 0 result mismatch:\n%s", diff)
	}

	// Test Unlimited
	pool.SetMaxParallelism(-1)
	count.Store(0)
	var started atomic.Int32
	pool.Saturate(func() {
		started.Add(1)
		runtime.Gosched()
		count.Add(1)
	})
	if started.Load() <= 1 {
		t.Errorf("Expected more than 1 started task for unlimited parallelism, got %d", started.Load())
	}
	if count.Load() != started.Load() {
		t.Errorf("Expected count %d to match started %d", count.Load(), started.Load())
	}
}

// TestPool_NestedNoDeadlock (fer-thesis patch) fills every worker with tasks
// that each call Saturate and ParallelFor, as ops run by the parallel op
// scheduler do; with the original Saturate this could wait forever.
func TestPool_NestedNoDeadlock(t *testing.T) {
	pool := New()
	pool.SetMaxParallelism(2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var outer atomic.Int32
		var sum atomic.Int64
		finished := make(chan struct{}, 8)
		for range 8 {
			pool.WaitToStart(func() {
				defer func() { finished <- struct{}{} }()
				var items atomic.Int32
				pool.Saturate(func() {
					for items.Add(1) <= 100 {
						runtime.Gosched()
					}
				})
				pool.ParallelFor(1000, 10, func(start, end int) {
					for i := start; i < end; i++ {
						sum.Add(int64(i))
					}
				})
				outer.Add(1)
			})
		}
		for range 8 {
			<-finished
		}
		if outer.Load() != 8 || sum.Load() != 8*999*1000/2 {
			t.Errorf("outer=%d sum=%d, want 8 and %d", outer.Load(), sum.Load(), 8*999*1000/2)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("nested Saturate/ParallelFor deadlocked")
	}
}

// TestPool_ParallelForCovers (fer-thesis patch) checks that ParallelFor
// visits every index exactly once, for sizes around the chunking limits.
func TestPool_ParallelForCovers(t *testing.T) {
	pool := New()
	for _, n := range []int{0, 1, 7, 64, 65, 1000, 4097} {
		for _, minChunk := range []int{0, 1, 16, 5000} {
			seen := make([]atomic.Int32, n)
			pool.ParallelFor(n, minChunk, func(start, end int) {
				for i := start; i < end; i++ {
					seen[i].Add(1)
				}
			})
			for i := range seen {
				if seen[i].Load() != 1 {
					t.Fatalf("n=%d minChunk=%d: index %d visited %d times", n, minChunk, i, seen[i].Load())
				}
			}
		}
	}
}

// TestPool_StartOrRunNested (fer-thesis patch): tasks that fill every worker
// and then split their own work with StartOrRun finish.
func TestPool_StartOrRunNested(t *testing.T) {
	pool := New()
	pool.SetMaxParallelism(2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var inner atomic.Int32
		finished := make(chan struct{}, 6)
		for range 6 {
			pool.WaitToStart(func() {
				defer func() { finished <- struct{}{} }()
				var wg sync.WaitGroup
				for range 10 {
					wg.Add(1)
					pool.StartOrRun(func() {
						defer wg.Done()
						inner.Add(1)
						runtime.Gosched()
					})
				}
				wg.Wait()
			})
		}
		for range 6 {
			<-finished
		}
		if inner.Load() != 60 {
			t.Errorf("inner tasks = %d, want 60", inner.Load())
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("nested StartOrRun deadlocked")
	}
}
