from glassfail_core.cli.main import main

main()
