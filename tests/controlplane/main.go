// Command controlplane is one binary holding the three Kubernetes control-plane
// components that plumber's tests run for real: etcd, kube-apiserver and
// kube-controller-manager, built from their upstream Go modules.
//
//	controlplane etcd [etcd flags]
//	controlplane kube-apiserver [kube-apiserver flags]
//	controlplane kube-controller-manager [kube-controller-manager flags]
package main

import (
	"fmt"
	"os"
	"time"

	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

const usage = "usage: controlplane etcd|kube-apiserver|kube-controller-manager [flags]"

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
	default:
		fmt.Fprintf(os.Stderr, "controlplane: unknown component %q\n%s\n", component, usage)
		os.Exit(2)
	}
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
			os.Exit(1)
		}
	}
}
