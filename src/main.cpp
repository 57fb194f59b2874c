#include "cli/app.hpp"

int main(int argc, char** argv) {
    return ladder::cli::run(argc, argv);
}
