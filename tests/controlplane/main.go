// Command controlplane is one binary holding the Kubernetes control-plane
// components that plumber's tests run for real: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler, built from their upstream Go
// modules. (Nodes and Pods are simulated by KWOK, a separate binary.)
//
//	controlplane etcd [etcd flags]
//	controlplane kube-apiserver [kube-apiserver flags]
//	controlplane kube-controller-manager [kube-controller-manager flags]
//	controlplane kube-scheduler [kube-scheduler flags]
//	controlplane run PROGRAM [args]   (runs another program, e.g. kwok, as a child
//	                                  that ends with this process and its parent)
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

const usage = "usage: controlplane etcd|kube-apiserver|kube-controller-manager|kube-scheduler [flags] | run PROGRAM [args]"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	component := os.Args[1]
	if os.Getenv("PLUMBER_CP_EXIT_WITH_PARENT") == "1" {
		go exitWithParent()
	}
	switch component {
	case "etcd":
		// etcdmain reads os.Args itself and expects the program name first.
		etcdmain.Main(append([]string{"etcd"}, os.Args[2:]...))
	case "kube-apiserver":
		os.Args = append([]string{component}, os.Args[2:]...)
		os.Exit(cli.Run(apiserver.NewAPIServerCommand()))
	case "kube-controller-manager":
		os.Args = append([]string{component}, os.Args[2:]...)
		os.Exit(cli.Run(controllermanager.NewControllerManagerCommand()))
	case "kube-scheduler":
		os.Args = append([]string{component}, os.Args[2:]...)
		os.Exit(cli.Run(scheduler.NewSchedulerCommand()))
	case "run":
		os.Exit(runChild(os.Args[2:]))
	default:
		fmt.Fprintf(os.Stderr, "controlplane: unknown component %q\n%s\n", component, usage)
		os.Exit(2)
	}
}

var (
	childMu sync.Mutex
	child   *os.Process
)

// runChild runs a program that cannot watch its parent itself (KWOK) as a
// child: signals are passed on, and exitWithParent kills it before exiting.
func runChild(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	// Best effort should this process be SIGKILLed (see exitWithParent for the caveat).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "controlplane run: %v\n", err)
		return 1
	}
	childMu.Lock()
	child = cmd.Process
	childMu.Unlock()
	go func() {
		for s := range signals {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		return 1
	}
	return 0
}

// exitWithParent ends this process once the process that started it is gone
// (re-parented), so a test run killed with SIGKILL leaves no control plane
// behind. PR_SET_PDEATHSIG is not used: it fires when the spawning *thread*
// exits, and Deno spawns from a thread pool.
func exitWithParent() {
	parent := os.Getppid()
	for range time.Tick(500 * time.Millisecond) {
		if os.Getppid() != parent {
			fmt.Fprintln(os.Stderr, "controlplane: parent process exited; stopping")
			childMu.Lock()
			if child != nil {
				_ = child.Kill()
			}
			childMu.Unlock()
			os.Exit(1)
		}
	}
}
