"""Used by TestInterruptTraining: starts the installed "fer" kernel with
jupyter_client, runs a cell that trains for a long time, presses "stop"
(interrupt_kernel) once the progress bar has been updated in place, and
checks that the cell ends promptly and the kernel still runs the next cell.
Prints one line per check; exits non-zero on failure."""
import sys
import time

import jupyter_client

TRAIN = '''import (
	"fmt"
	"github.com/fer-thesis/fer/fer"
)
%%
m, _ := fer.New("mnist-fc")
x := fer.Data{X: make([]float32, 32000*28*28), Y: make([]int32, 32000), Shape: []int{28, 28, 1}}
fmt.Println("training")
if _, err := m.Fit(x, fer.FitOptions{Epochs: 500}); err != nil {
	panic(err)
}
fmt.Println("finished")
'''


def run(kc, km, code, deadline, interrupt_on_update=False):
    msg_id = kc.execute(code)
    start = time.time()
    updates, streams, interrupted_at = 0, [], None
    while time.time() - start < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except Exception:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream":
            streams.append(msg["content"]["text"])
        elif kind == "update_display_data":
            updates += 1
            if interrupt_on_update and interrupted_at is None and updates >= 2:
                km.interrupt_kernel()
                interrupted_at = time.time()
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            return time.time(), updates, "".join(streams), interrupted_at
    return None, updates, "".join(streams), interrupted_at


def main():
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="fer")
    ok = True
    try:
        done, updates, out, interrupted_at = run(kc, km, TRAIN, 300, interrupt_on_update=True)
        if interrupted_at is None:
            print("FAIL: the progress display was never updated in place (%d updates); output: %r" % (updates, out[-500:]))
            return 1
        if done is None:
            print("FAIL: the cell did not end after the interrupt")
            return 1
        print("progress updates before the interrupt: %d; cell ended %.1fs after it" % (updates, done - interrupted_at))
        if "finished" in out:
            print("FAIL: training finished instead of being interrupted")
            ok = False
        if done - interrupted_at > 20:
            print("FAIL: the cell took more than 20 s to stop")
            ok = False
        done, _, out, _ = run(kc, km, '%%\nfmt.Println("kernel still alive")', 180)
        if done is None or "kernel still alive" not in out:
            print("FAIL: the kernel did not run the next cell: %r" % out)
            ok = False
        else:
            print("next cell ran: kernel still alive")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
