import sys

from mnist_app.cli.main import main

sys.exit(main())
