// Command deploycheck validates deployment artifacts offline:
//
//	deploycheck k8s [-allow group/Kind,...] [-pod-security LEVEL] [-secret-keys] [-own-credentials] FILE... (or - for stdin)
//	deploycheck compose [-env-file FILE] docker-compose.yml
//
// It prints one line per file checked and exits 1 when anything is wrong.
// deploy/check/check-deploy.sh runs it on every deployment artifact of the repository.
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  deploycheck k8s [-allow group/Kind,...] [-pod-security restricted|baseline|privileged] [-secret-keys] [-own-credentials] FILE...
                                                    every YAML document strictly against Kubernetes' types, every pod
                                                    against the Pod Security Standard (default restricted; "-" reads stdin);
                                                    -secret-keys: every Secret key the pods need is in a Secret of the file;
                                                    -own-credentials: each service its own NATS, Redis and MongoDB user and password
  deploycheck compose [-env-file FILE] FILE         load a compose file the way docker compose does, and check it`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "k8s":
		err = runK8s(os.Args[2:])
	case "compose":
		err = runCompose(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
