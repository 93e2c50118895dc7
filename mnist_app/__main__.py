import sys

from mnist_app.cli import main

sys.exit(main())
