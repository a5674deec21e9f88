from plcpilot.cli import main

main()
