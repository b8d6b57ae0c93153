// Command pause is the pod sandbox's first process for the one-node test cluster: it holds the
// pod's namespaces open, reaps orphaned children and exits on SIGTERM/SIGINT. It is built static
// and packed FROM scratch, so the cluster needs no registry for its sandbox image.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s == syscall.SIGCHLD {
			// As PID 1 of the sandbox, collect every exited child so none stays a zombie.
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
