from clearmedia.cli import main

raise SystemExit(main())
