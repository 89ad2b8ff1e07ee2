package web

// Translations of the OpenURL intake (openurl.go) and the sources report.
func init() {
	addMessages(map[string][2]string{
		"openurl.no_match": {"馆际互借联合目录中没有找到唯一对应的记录。已根据您来源页面的信息填好申请单，请核对后提交。",
			"No single matching record was found in the union catalogue. The form below is filled in from the page you came from: please check it and submit."},
		"openurl.article": {"您请求的是期刊文章。本系统暂不受理文献传递（复印）申请，已按借阅该期刊填好申请单，文章篇名、卷期和页码写在备注中；请核对后提交，或联系本馆馆际互借馆员。",
			"You asked for a journal article. Copy (document delivery) requests are not taken yet: the form below asks to borrow the journal, with the article title, volume, issue and pages in the note. Please check it and submit, or ask your library's ILL staff."},
		"openurl.nothing": {"来源链接中没有题名、ISBN 或 ISSN，无法自动填写，请手工填写申请单。",
			"The link carried no title, ISBN or ISSN, so nothing could be filled in: please fill in the form."},
		"report.sources": {"申请来源统计", "Request sources"},
	})
}
