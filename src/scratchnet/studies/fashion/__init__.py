"""The original study's Section C on Fashion-MNIST: five studies, each on two engines."""
