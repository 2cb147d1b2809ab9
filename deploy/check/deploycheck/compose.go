package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func runCompose(args []string) error {
	flags := flag.NewFlagSet("compose", flag.ContinueOnError)
	envFile := flags.String("env-file", "",
		"variables for interpolation, as a .env file; neither the process environment nor a .env beside the file is read")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return errors.New("compose: give one compose file")
	}
	path := flags.Arg(0)

	project, err := loadProject(path, *envFile)
	if err != nil {
		return fmt.Errorf("compose %s: %w", path, err)
	}
	if problems := checkProject(project); len(problems) > 0 {
		fmt.Printf("compose %s: %d problem(s):\n  %s\n", path, len(problems), strings.Join(problems, "\n  "))
		return errors.New("compose: invalid project")
	}
	fmt.Printf("compose %s: project %s valid: %d services (%s), %d volumes, %d published port(s)\n",
		path, project.Name, len(project.Services), strings.Join(project.ServiceNames(), ", "),
		len(project.Volumes), countPublished(project))
	return nil
}

// loadProject loads a compose file as docker compose does, but with every profile on and
// only the variables of envFile (if any) for interpolation.
func loadProject(path, envFile string) (*types.Project, error) {
	options := []cli.ProjectOptionsFn{cli.WithResolvedPaths(true), cli.WithProfiles([]string{"*"})}
	if envFile != "" {
		options = append(options, cli.WithEnvFiles(envFile), cli.WithDotEnv)
	}
	projectOptions, err := cli.NewProjectOptions([]string{path}, options...)
	if err != nil {
		return nil, err
	}
	return projectOptions.LoadProject(context.Background())
}

// checkProject adds to the loader's validation what a started stack would trip over.
func checkProject(project *types.Project) []string {
	var problems []string
	publishedBy := map[string]string{} // "8080/tcp" -> service
	// Each service its own user and password on NATS, Redis and MongoDB (compared as interpolated).
	var credentials logins
	for _, name := range project.ServiceNames() {
		service := project.Services[name]
		for dependency, wait := range service.DependsOn {
			depended, ok := project.Services[dependency]
			switch {
			case !ok: // the loader refuses it too, unless the dependency is optional and disabled
				problems = append(problems, fmt.Sprintf("service %s depends on %s, which is not a service", name, dependency))
			case wait.Condition == types.ServiceConditionHealthy && (depended.HealthCheck == nil || depended.HealthCheck.Disable):
				// Only the compose file is read: a HEALTHCHECK in the image does not count.
				problems = append(problems, fmt.Sprintf("service %s waits for %s to be healthy, which has no healthcheck", name, dependency))
			}
		}
		// One host port is one listener, whatever host IP each service names.
		for _, port := range service.Ports {
			if port.Published == "" {
				continue
			}
			key := port.Published + "/" + port.Protocol
			if other, taken := publishedBy[key]; taken {
				problems = append(problems, fmt.Sprintf("host port %s is published by both %s and %s", key, other, name))
			}
			publishedBy[key] = name
		}
		// docker compose would create a missing bind source as an empty directory.
		for _, volume := range service.Volumes {
			if volume.Type == types.VolumeTypeBind && !exists(volume.Source) {
				problems = append(problems, fmt.Sprintf("service %s mounts %s, which does not exist", name, volume.Source))
			}
		}
		credentials.add("service "+name, func(variable string) string {
			if value := service.Environment[variable]; value != nil {
				return *value
			}
			return ""
		})
		if build := service.Build; build != nil && build.Dockerfile != "" && build.DockerfileInline == "" {
			dockerfile := build.Dockerfile
			if !filepath.IsAbs(dockerfile) {
				dockerfile = filepath.Join(build.Context, dockerfile)
			}
			if !exists(dockerfile) {
				problems = append(problems, fmt.Sprintf("service %s builds from %s, which does not exist", name, dockerfile))
			}
		}
	}
	shared, _ := credentials.problems()
	return append(problems, shared...)
}

func countPublished(project *types.Project) int {
	count := 0
	for _, service := range project.Services {
		for _, port := range service.Ports {
			if port.Published != "" {
				count++
			}
		}
	}
	return count
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
